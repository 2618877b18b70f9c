"""Reading and writing files: frames and masks (size-checked from their headers before decoding), atomic writes,
JSON, paths irstlabel may write, bundled resources, work done once per key across threads."""
