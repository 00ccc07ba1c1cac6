"""Issue 11's acceptance test for `seatbatch inbox`: partners' folders holding every trap found
(links for done/ and rejected/, a file named done, a file named .claimed, a linked workbook, a
FIFO, a workbook whose processing dies, and the whole hostile corpus), while three other
partners' workbooks are processed and filed in the same run, under a 512 MB address space.

A trap that makes a partner folder unusable (done/ a link, say) leaves every workbook in that
folder waiting, so the workbook traps behind it would never be reached: each folder trap has a
partner folder of its own, and the workbook traps share one, P-TRAP. The traps are data: a case
added to FOLDER_TRAPS, WORKBOOK_TRAPS or the hostile corpus (tests/hostile/make_corpus.py)
joins this run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conftest import Env, read_manifest
from hostile.make_corpus import CASES as ALL_CASES
from test_inbox import dense_workbook, good, inbox, note, run_bounded, shelf

# a case run under other [limits] than the defaults is left to test_hostile.py: limits are the
# whole inbox's, and would change what the other cases are rejected for
CASES = [case for case in ALL_CASES if not case.limits]
GOOD_PARTNERS = ("P-ACME", "P-OTHER", "P-TOKYO")
GOOD_PER_PARTNER = 2
TRAPPED = "P-TRAP"
REMEDY = "make it a folder the inbox can write in (it never follows a link)"


def _secret(outside: Path) -> Path:
    return outside / "secret"


def _link_done(folder: Path, outside: Path) -> None:
    (outside / "done-target").mkdir()
    (folder / "done").symlink_to(outside / "done-target")


def _link_rejected(folder: Path, outside: Path) -> None:
    (outside / "rejected-target").mkdir()
    (folder / "rejected").symlink_to(outside / "rejected-target")


def _file_done(folder: Path, _outside: Path) -> None:
    (folder / "done").write_text("a file where done/ belongs")


def _file_claimed(folder: Path, _outside: Path) -> None:
    (folder / ".claimed").write_text("a file where .claimed/ belongs")


def _link_claimed(folder: Path, outside: Path) -> None:
    (outside / "claimed-target").mkdir()
    (folder / ".claimed").symlink_to(outside / "claimed-target")


@dataclass(frozen=True)
class FolderTrap:
    partner: str  # a partner folder of its own, holding one good workbook besides the trap
    make: Callable[[Path, Path], None]  # (its folder, a folder outside DIR)
    problem: str  # what the inbox says is wrong, before ": <partner>'s workbooks are ..."


FOLDER_TRAPS = (
    FolderTrap("P-DONE-LINK", _link_done, "P-DONE-LINK/done is a link, not a folder"),
    FolderTrap("P-REJECTED-LINK", _link_rejected,
               "P-REJECTED-LINK/rejected is a link, not a folder"),
    FolderTrap("P-DONE-FILE", _file_done, "P-DONE-FILE/done is a file, not a folder"),
    FolderTrap("P-CLAIMED-FILE", _file_claimed, "P-CLAIMED-FILE/.claimed is a file, not a folder"),
    FolderTrap("P-CLAIMED-LINK", _link_claimed, "P-CLAIMED-LINK/.claimed is a link, not a folder"),
)
LINKED_PARTNER = "P-LINKED"  # the partner folder itself a link, to P-ACME's


def _link_outside(path: Path, outside: Path) -> None:
    path.symlink_to(_secret(outside))


def _link_to_other_partner(path: Path, _outside: Path) -> None:
    path.symlink_to(path.parent.parent / "P-ACME" / "P-ACME-1.xlsx")


def _fifo(path: Path, _outside: Path) -> None:
    os.mkfifo(path)


def _hard_link(path: Path, outside: Path) -> None:
    os.link(_secret(outside), path)


def _dies(path: Path, _outside: Path) -> None:
    path.write_bytes(dense_workbook())


@dataclass(frozen=True)
class WorkbookTrap:
    name: str  # its name in P-TRAP's folder
    make: Callable[[Path, Path], None]  # (its path, a folder outside DIR)
    left_alone: str = ""  # the warning, when it is never claimed
    dies: bool = False  # its processing dies: filed as failed


WORKBOOK_TRAPS = (
    WorkbookTrap("linked-outside.xlsx", _link_outside, "a link, not a workbook file"),
    WorkbookTrap("linked-to-acme.xlsx", _link_to_other_partner, "a link, not a workbook file"),
    WorkbookTrap("pipe.xlsx", _fifo, "a FIFO, not a workbook file"),
    WorkbookTrap("hard-linked.xlsx", _hard_link,
                 "a file with other hard links, not a workbook file of its own"),
    WorkbookTrap("dies.xlsx", _dies, dies=True),
)
# P-TRAP's own good workbooks, under names that are traps of their own
ODD_NAMES = ("forged\nseatbatch inbox: 99 done, 0 rejected, 0 waiting.xlsx",
             "escape \x1b[31mred.xlsx", os.fsdecode(b"latin-1 caf\xe9.xlsx"), "filed-as-link.xlsx")


def _config(env: Env) -> None:
    partners = [TRAPPED, LINKED_PARTNER, *(t.partner for t in FOLDER_TRAPS)]
    env.config.write_text(env.config.read_text(encoding="utf-8") + "".join(
        f'\n[partners.{p}]\nname = "{p}"\ncurrency = "EUR"\ndiscount = "0"\n' for p in partners),
        encoding="utf-8")


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` with its bytes (a link: where it points)."""
    return {str(p.relative_to(folder)): (str(p.readlink()) if p.is_symlink() else
                                         p.read_bytes() if p.is_file() else "folder")
            for p in folder.rglob("*")}


def _lay_traps(env: Env, root: Path, outside: Path) -> dict[str, list[str]]:
    """The good partners' workbooks, each folder trap, P-TRAP's workbooks among its traps
    and the hostile corpus; the workbooks expected done, by partner."""
    expected_done: dict[str, list[str]] = {}
    number = 0
    for partner in GOOD_PARTNERS:
        expected_done[partner] = []
        for n in range(1, GOOD_PER_PARTNER + 1):
            number += 1
            good(env, f"{partner}-{n}.xlsx", f"L{number}", partner)
            expected_done[partner].append(f"{partner}-{n}.xlsx")
    for trap in FOLDER_TRAPS:
        number += 1
        good(env, "waiting.xlsx", f"L{number}", trap.partner)
        trap.make(root / trap.partner, outside)
    (root / LINKED_PARTNER).symlink_to(root / "P-ACME")

    trapped = root / TRAPPED
    for name in ODD_NAMES:
        number += 1
        good(env, name, f"L{number}", TRAPPED)
    (trapped / "done").mkdir()
    (trapped / "done" / "filed-as-link.xlsx").symlink_to(outside / "filed-workbook")
    (trapped / "done" / "filed-as-link.xlsx.json").symlink_to(outside / "filed-note")
    for workbook_trap in WORKBOOK_TRAPS:
        workbook_trap.make(trapped / workbook_trap.name, outside)
    for case in CASES:
        (trapped / case.name).write_bytes(case.build())
    return expected_done


def test_one_partners_traps_never_stop_the_others_nor_write_outside_dir(env: Env) -> None:
    _config(env)
    root = inbox(env)
    outside = env.root / "outside"
    outside.mkdir()
    _secret(outside).write_bytes(b"root:$6$secret")
    expected_done = _lay_traps(env, root, outside)
    trapped = root / TRAPPED
    outside_before = _tree(outside)

    result = run_bounded(env, "inbox", root)

    lines = [line for line in result.stderr.splitlines()
             if not line.startswith("  ")]  # a rejection's reasons, under its line
    dying = [t for t in WORKBOOK_TRAPS if t.dies]
    # what the run says: each unusable folder once, each trap left alone, each rejection,
    # each death, and the summary
    unusable = [f"seatbatch inbox: {t.problem}: {t.partner}'s workbooks are left waiting; "
                f"{REMEDY}" for t in FOLDER_TRAPS]
    unusable.append(f"seatbatch inbox: {LINKED_PARTNER} is a link, not a folder: "
                    f"{LINKED_PARTNER}'s workbooks are left waiting; {REMEDY}")
    left_alone = [f"seatbatch inbox: warning: {TRAPPED}/{t.name}: {t.left_alone}; left alone"
                  for t in WORKBOOK_TRAPS if t.left_alone]
    rejected_lines = [
        f"{TRAPPED}/{c.name}: rejected, 1 problem(s); filed as {trapped / 'rejected' / c.name}"
        for c in CASES]
    for line in unusable + left_alone + rejected_lines:
        assert lines.count(line) == 1, (line, result.stderr)
    died = [line for line in lines if ": internal error: its processing died: " in line]
    assert len(died) == len(dying), result.stderr
    done_count = sum(map(len, expected_done.values())) + len(ODD_NAMES)
    summary = (f"seatbatch inbox: {done_count} done, {len(CASES)} rejected, "
               f"{len(FOLDER_TRAPS)} waiting, {len(dying)} failed, "
               f"{len(unusable)} partner folder(s) left alone")
    assert lines[-1] == summary
    assert len(lines) == len(unusable) + len(left_alone) + len(rejected_lines) + len(died) + 1
    # a workbook died: that is a bug to look at (70), though everything claimed was filed
    assert result.code == (70 if dying else 0), result.stderr

    # every good workbook committed and filed, the other partners' and P-TRAP's own
    manifests = [read_manifest(Path(line)) for line in result.stdout.splitlines()]
    committed = sorted((m["partner_id"], m["input"]["file"]) for m in manifests
                       if m["status"] == "committed")
    assert committed == sorted(
        [(p, n) for p, names in expected_done.items() for n in names]
        + [(TRAPPED, os.fsencode(n).decode("utf-8", "replace")) for n in ODD_NAMES])
    for partner, names in expected_done.items():
        assert shelf(env, partner, "done") == names
        assert shelf(env, partner, "rejected") == []
        for name in names:
            assert note(env, partner, "done", name)["status"] == "committed"
    assert len(env.invoice_numbers()) == done_count

    # P-TRAP: its good workbooks done, the name filed as a link beside it; every corpus file
    # rejected with its own code; the dying one failed; links and the FIFO left where they are
    assert shelf(env, TRAPPED, "done") == sorted(
        [n for n in ODD_NAMES if n != "filed-as-link.xlsx"]
        + ["filed-as-link (2).xlsx", "filed-as-link.xlsx"])
    assert shelf(env, TRAPPED, "rejected") == sorted(
        [c.name for c in CASES] + [t.name for t in dying])
    codes = {m["input"]["file"]: [r["code"] for r in m["rejections"]] for m in manifests
             if m["status"] == "rejected"}
    assert codes == {c.name: [c.code] for c in CASES}
    for dead in dying:
        assert note(env, TRAPPED, "rejected", dead.name)["status"] == "failed"
    for workbook_trap in WORKBOOK_TRAPS:
        if workbook_trap.left_alone:
            assert os.path.lexists(trapped / workbook_trap.name)
    assert not (trapped / ".claimed").exists() or list((trapped / ".claimed").iterdir()) == []

    # the unusable folders: their workbooks wait, nothing of theirs was committed
    for trap in FOLDER_TRAPS:
        assert (root / trap.partner / "waiting.xlsx").is_file()
    partners_committed = {p for (p,) in env.query("SELECT DISTINCT partner_id FROM runs")}
    assert partners_committed == {*GOOD_PARTNERS, TRAPPED}

    # nothing written outside DIR: every link target as it was
    assert _tree(outside) == outside_before
    assert _secret(outside).read_bytes() == b"root:$6$secret"
