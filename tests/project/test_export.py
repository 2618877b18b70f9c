
import numpy as np
import pytest

from irstlabel.cli import main
from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.errors import IrstlabelError
from irstlabel.core.labels.targets import find_targets
from irstlabel.project.export import export_project
from irstlabel.project.store import Project
from tests.datasets import make_irstd1k, make_sirst_v2
from tests.helpers import strict_loads


@pytest.mark.parametrize("make", [make_sirst_v2, make_irstd1k])
def test_source_layout_export_reopens_with_the_current_masks(tmp_path, make):
    root = make(tmp_path / "data")
    with Project.open(root) as project:
        edited = project.load_mask("Misc_2")
        edited[20:23, 30:33] = True
        project.save_mask("Misc_2", edited)
        summary = export_project(project, tmp_path / "out", layout="source")
    out = Dataset.open(tmp_path / "out")
    original = Dataset.open(root)
    assert out.layout == original.layout == summary["layout"]
    assert out.frame_ids == original.frame_ids
    assert {k: len(v) for k, v in out.splits.items()} == {k: len(v) for k, v in original.splits.items()}
    np.testing.assert_array_equal(out.read_mask("Misc_2").mask, edited)
    np.testing.assert_array_equal(out.read_mask("Misc_1").mask, original.read_mask("Misc_1").mask)
    assert not (tmp_path / "out" / ".irstlabel").exists()


def test_coco_export_loads_in_pycocotools_and_decodes_to_the_masks(tmp_path, capsys):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    root = make_sirst_v2(tmp_path / "data")
    Project.open(root).close()
    assert main(["export", str(root), "--layout", "coco", "--out", str(tmp_path / "coco")]) == 0
    summary = strict_loads(capsys.readouterr().out)
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    assert len(coco.getImgIds()) == summary["frames"] == 5
    dataset = Dataset.open(root)
    for image in coco.loadImgs(coco.getImgIds()):
        union = np.zeros((image["height"], image["width"]), bool)
        for annotation in coco.loadAnns(coco.getAnnIds(imgIds=image["id"])):
            union |= mask_utils.decode(annotation["segmentation"]).astype(bool)
            x, y, w, h = annotation["bbox"]
            assert annotation["area"] == int(mask_utils.area(annotation["segmentation"]))
        expected = dataset.read_mask(image["frame_id"]).mask
        np.testing.assert_array_equal(union, expected)
        assert len(coco.getAnnIds(imgIds=image["id"])) == len(find_targets(expected))


def test_export_refuses_a_non_empty_folder_and_touches_nothing(tmp_path, capsys):
    root = make_sirst_v2(tmp_path / "data")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert main(["export", str(root), "--out", str(tmp_path / "out")]) == 2
    assert "output folder is not empty" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_source_export_does_not_follow_folder_links_and_names_a_dangling_one(tmp_path):
    root = make_sirst_v2(tmp_path / "data")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x" * 1000)
    (root / "images" / "targets" / "loop").symlink_to("..")  # would copy without end if followed
    (root / "images" / "elsewhere").symlink_to(outside)
    (root / "notes.txt").write_text("readme")
    (root / "notes-link.txt").symlink_to(root / "notes.txt")  # a link to a file: its content is copied
    with Project.open(root) as project:
        summary = export_project(project, tmp_path / "out", layout="source")
        assert sorted(summary["folder_links_not_followed"]) == ["images/elsewhere", "images/targets/loop"]
        out = tmp_path / "out"
        assert not (out / "images" / "targets" / "loop").exists() and not (out / "images" / "elsewhere").exists()
        assert (out / "notes-link.txt").read_text() == "readme" and not (out / "notes-link.txt").is_symlink()
        assert Dataset.open(out).frame_ids == Dataset.open(root).frame_ids
        (root / "gone.txt").symlink_to(tmp_path / "missing")
        with pytest.raises(IrstlabelError, match=r"gone.txt: dangling or looping symbolic link"):
            export_project(project, tmp_path / "out2", layout="source")


def test_source_export_rewrites_the_box_and_centroid_files_of_edited_frames(tmp_path):
    """SIRST-V2 ships boxes and centroids beside the masks: an edited frame's must follow its new mask."""
    from irstlabel.core.datasets.voc_xml import weighted_centroids

    root = make_sirst_v2(tmp_path / "data")
    header = "<annotation>\n  <filename>{}</filename>\n  <size><width>40</width><height>32</height></size>\n{}</annotation>\n"
    stale = "  <object>\n    <name>Target</name>\n    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>\n  </object>\n"
    (root / "annotations" / "centroids").mkdir(parents=True, exist_ok=True)
    for frame_id in ("Misc_1", "Misc_2"):
        (root / "annotations" / "bboxes" / f"{frame_id}.xml").write_text(header.format(frame_id, stale))
        (root / "annotations" / "centroids" / f"{frame_id}.xml").write_text(
            header.format(frame_id, "  <object><name>Target</name><centroid><yc>1.0</yc><xc>1.0</xc></centroid></object>\n"))
    with Project.open(root) as project:
        edited = project.load_mask("Misc_2")
        edited[20:23, 30:34] = True
        project.save_mask("Misc_2", edited)
        export_project(project, tmp_path / "out", layout="source")
        image = project.dataset.read_frame("Misc_2")
    import xml.etree.ElementTree as ET

    boxes = ET.parse(tmp_path / "out" / "annotations" / "bboxes" / "Misc_2.xml").getroot()
    assert boxes.findtext("filename") == "Misc_2" and boxes.find("size/width").text == "40"
    got = sorted(tuple(int(o.findtext(f"bndbox/{k}")) for k in ("ymin", "xmin", "ymax", "xmax")) for o in boxes.iter("object"))
    expected = sorted(tuple(int(v) + 1 for v in box) for box in find_targets(edited).bbox)
    assert got == expected and (21, 31, 24, 35) in got
    centroids = ET.parse(tmp_path / "out" / "annotations" / "centroids" / "Misc_2.xml").getroot()
    xy = [(float(o.findtext("centroid/xc")), float(o.findtext("centroid/yc"))) for o in centroids.iter("object")]
    assert np.allclose(xy, np.array(weighted_centroids(image, edited)) + 1)
    # an unedited frame's files are copied as they were
    assert (tmp_path / "out" / "annotations" / "bboxes" / "Misc_1.xml").read_text() == header.format("Misc_1", stale)


@pytest.mark.realdata
def test_weighted_centroids_reproduce_the_published_sirst_files(sirst_v1):
    """The convention read off SIRST-V2: intensity-weighted, 1-based (skips without the real data)."""
    import xml.etree.ElementTree as ET

    from irstlabel.core.datasets.voc_xml import boxes_xml, weighted_centroids

    root = sirst_v1
    dataset = Dataset.open(root)
    for frame_id in ("Misc_1", "Misc_10", "Misc_50", "Misc_200"):
        mask, image = dataset.read_mask(frame_id).mask, dataset.read_frame(frame_id)
        published = ET.parse(root / "annotations" / "centroids" / f"{frame_id}.xml").getroot()
        xy = sorted((float(o.findtext("centroid/xc")), float(o.findtext("centroid/yc"))) for o in published.iter("object"))
        ours = sorted((x + 1, y + 1) for x, y in weighted_centroids(image, mask))
        assert np.allclose(xy, ours, atol=1e-6), frame_id
        text = (root / "annotations" / "bboxes" / f"{frame_id}.xml").read_text()
        assert sorted(ET.tostring(o) for o in ET.fromstring(boxes_xml(text, mask)).iter("bndbox")) == \
            sorted(ET.tostring(o) for o in ET.fromstring(text).iter("bndbox")), frame_id


def _rejecting_first_target(root, frame_id):
    """What R does in the window: the session's status-only decision on a frame never edited."""
    from irstlabel.project.session import AnnotationSession

    with Project.open(root) as project:
        session = AnnotationSession(project)
        frame = session.open_frame(frame_id)
        session.set_status(frame.targets.records[0].id, "rejected")
        assert session.save()
        assert not project.is_edited(frame_id)


def _two_target_dataset(root):
    from tests.datasets import frame_with, make_dataset

    return make_dataset(root, {"a": frame_with([(5, 5, 9, 9), (30, 40, 34, 44)]), "b": frame_with([(10, 10, 13, 13)])})


def test_a_rejected_label_leaves_the_generic_and_coco_exports_and_the_others_are_unchanged(tmp_path, capsys):
    from pycocotools.coco import COCO

    root = _two_target_dataset(tmp_path / "data")
    _rejecting_first_target(root, "a")
    original = Dataset.open(root)
    assert main(["export", str(root), "--layout", "generic", "--out", str(tmp_path / "generic")]) == 0
    exported = Dataset.open(tmp_path / "generic")
    expected = original.read_mask("a").mask.copy()
    expected[5:9, 5:9] = False
    np.testing.assert_array_equal(exported.read_mask("a").mask, expected)
    np.testing.assert_array_equal(exported.read_mask("b").mask, original.read_mask("b").mask)

    assert main(["export", str(root), "--layout", "coco", "--out", str(tmp_path / "coco")]) == 0
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    by_frame = {image["frame_id"]: coco.loadAnns(coco.getAnnIds(imgIds=image["id"])) for image in coco.loadImgs(coco.getImgIds())}
    assert [(a["bbox"], a["status"]) for a in by_frame["a"]] == [([40, 30, 4, 4], "pending")]
    assert [a["status"] for a in by_frame["b"]] == ["pending"]

    assert main(["export", str(root), "--layout", "coco", "--include-rejected", "--out", str(tmp_path / "all")]) == 0
    everything = COCO(str(tmp_path / "all" / "annotations.json"))
    image_a = next(i for i in everything.loadImgs(everything.getImgIds()) if i["frame_id"] == "a")
    assert sorted((a["bbox"][0], a["status"]) for a in everything.loadAnns(everything.getAnnIds(imgIds=image_a["id"]))) \
        == [(5, "rejected"), (40, "pending")]
    assert main(["export", str(root), "--layout", "generic", "--include-rejected", "--out", str(tmp_path / "g2")]) == 0
    np.testing.assert_array_equal(Dataset.open(tmp_path / "g2").read_mask("a").mask, original.read_mask("a").mask)
    capsys.readouterr()


def test_a_rejected_label_leaves_the_source_layout_and_its_box_file(tmp_path):
    import xml.etree.ElementTree as ET

    root = make_sirst_v2(tmp_path / "data")
    header = "<annotation>\n  <filename>Misc_2</filename>\n  <size><width>40</width><height>32</height></size>\n{}</annotation>\n"
    box = "  <object>\n    <name>Target</name>\n    <bndbox><xmin>2</xmin><ymin>2</ymin><xmax>5</xmax><ymax>4</ymax></bndbox>\n  </object>\n"
    (root / "annotations" / "bboxes" / "Misc_2.xml").write_text(header.format(box))
    _rejecting_first_target(root, "Misc_2")
    with Project.open(root, readonly=True) as project:
        export_project(project, tmp_path / "out", layout="source")
    out = Dataset.open(tmp_path / "out")
    assert not out.read_mask("Misc_2").mask.any()
    assert list(ET.parse(tmp_path / "out" / "annotations" / "bboxes" / "Misc_2.xml").getroot().iter("object")) == []
    np.testing.assert_array_equal(out.read_mask("Misc_1").mask, Dataset.open(root).read_mask("Misc_1").mask)
