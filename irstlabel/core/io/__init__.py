"""Reading and writing files: frames and masks (size-checked from their headers, atomic writes), JSON, paths, bundled resources, VOC XML, folders of predictions."""
