"""The official e-invoice rules, run offline with saxonche (SPEC §9: a UBL invoice passes the
CEN EN 16931 UBL validation artefacts and the OpenPeppol BIS Billing 3.0 UBL rules with no
failed assert of flag `fatal`).

The rules are three public repositories, checked out side by side in one folder that
`$SEATBATCH_EINVOICE_RULES` names (`sh tests/get_einvoice_rules.sh` prepares it and prints it):

- `eInvoicing-EN16931/`: the CEN artefacts, already compiled to XSLT by their authors;
- `peppol-bis-invoice-3/`: the Peppol schematron, compiled here with SchXslt;
- `schxslt/`: SchXslt, the XSLT that turns a schematron into a validating XSLT.

A test module that runs them:

    from einvoice_rules import Rules, needs_rules, official_rules

    pytestmark = needs_rules  # skipped, saying why, where the rules are not on the machine

    def test_valid() -> None:
        report = official_rules().check(Path("invoice.xml"))
        assert not report.fatal, report

The Peppol schematron is compiled once per test session (per worker under xdist) and the
compiled XSLT is kept in the temporary folder under a name made from what it was compiled from,
so a later session reuses it until the rules, SchXslt or Saxon change."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import saxonche

RULES_VARIABLE = "SEATBATCH_EINVOICE_RULES"
GET_RULES = "sh tests/get_einvoice_rules.sh"

CEN_XSLT = Path("eInvoicing-EN16931/ubl/xslt/EN16931-UBL-validation.xslt")
PEPPOL_SCHEMATRON = Path("peppol-bis-invoice-3/rules/sch/PEPPOL-EN16931-UBL.sch")
SCHXSLT_XSLT = Path("schxslt/core/src/main/resources/xslt/2.0")
SCHXSLT_PIPELINE = SCHXSLT_XSLT / "pipeline-for-svrl.xsl"

_NEEDED = {
    CEN_XSLT: "ConnectingEurope/eInvoicing-EN16931: the CEN EN 16931 UBL validation artefacts",
    PEPPOL_SCHEMATRON: "OpenPEPPOL/peppol-bis-invoice-3: the Peppol BIS Billing 3.0 UBL rules",
    SCHXSLT_PIPELINE: "schxslt/schxslt: SchXslt's XSLT 2.0 pipeline",
}

_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
# Both compilers spell a node's path with its namespaces: the CEN XSLT as
# `*:Invoice[namespace-uri()='urn:…'][1]`, SchXslt as `Q{urn:…}Invoice[1]`.
_NAMESPACES_IN_PATH = re.compile(r"\[namespace-uri\(\)='[^']*'\]|\*:|Q\{[^}]*\}")


class RulesMissing(Exception):
    """The rules are not where `$SEATBATCH_EINVOICE_RULES` says, or it says nowhere."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed assert: its rule id (BR-CO-16, PEPPOL-EN16931-R003), its flag (`fatal` or
    `warning`), where (`/Invoice[1]/LegalMonetaryTotal[1]`) and what the rule says."""

    rule: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.flag}) at {self.location}: {self.text}"


@dataclass(frozen=True, slots=True)
class Report:
    """The failed asserts of each rule set, in document order."""

    cen: tuple[Failure, ...]
    peppol: tuple[Failure, ...]

    @property
    def fatal(self) -> tuple[Failure, ...]:
        return tuple(f for f in (*self.cen, *self.peppol) if f.flag == "fatal")

    @property
    def warnings(self) -> tuple[Failure, ...]:
        return tuple(f for f in (*self.cen, *self.peppol) if f.flag != "fatal")

    def __str__(self) -> str:
        lines = [f"CEN {f}" for f in self.cen] + [f"Peppol {f}" for f in self.peppol]
        return "\n".join(lines) or "no failed assert"


def missing(environ: Mapping[str, str] = os.environ) -> str | None:
    """What is missing for the rules to run, in a sentence; None when nothing is."""
    named = environ.get(RULES_VARIABLE, "")
    if not named:
        return (f"${RULES_VARIABLE} is not set; it names the folder of the official e-invoice "
                f"rules, which `{GET_RULES}` prepares and prints (README: Development)")
    folder = Path(named)
    absent = [f"{folder / path} ({what})" for path, what in _NEEDED.items()
              if not (folder / path).is_file()]
    if absent:
        return (f"${RULES_VARIABLE}={named} lacks " + "; ".join(absent)
                + f"; `{GET_RULES} {named}` prepares it")
    return None


needs_rules = pytest.mark.skipif(not os.environ.get(RULES_VARIABLE),
                                 reason=missing({}) or "")
"""Skips a test (or, as `pytestmark`, a module) where `$SEATBATCH_EINVOICE_RULES` is not set.
Where it is set but the folder is incomplete, `official_rules` fails the test instead: the
rules were asked for and are not there."""


class Rules:
    """The two rule sets compiled, ready to check documents (one at a time: a compiled
    stylesheet of Saxon's is not thread-safe)."""

    def __init__(self, folder: Path, cache_dir: Path) -> None:
        problem = missing({RULES_VARIABLE: str(folder)})
        if problem:
            raise RulesMissing(problem)
        self._saxon = saxonche.PySaxonProcessor(license=False)
        xslt = self._saxon.new_xslt30_processor()
        self.peppol_xslt = self._compiled_peppol(xslt, folder, cache_dir)
        self._cen = xslt.compile_stylesheet(stylesheet_file=str(folder / CEN_XSLT))
        self._peppol = xslt.compile_stylesheet(stylesheet_file=str(self.peppol_xslt))

    def _compiled_peppol(self, xslt: saxonche.PyXslt30Processor, folder: Path,
                         cache_dir: Path) -> Path:
        """The Peppol schematron as XSLT, compiled with SchXslt's pipeline unless a file
        compiled from the same schematron, SchXslt and Saxon is in `cache_dir`."""
        schematron = folder / PEPPOL_SCHEMATRON
        key = hashlib.sha256(str(self._saxon.version).encode())
        for path in [schematron, *sorted((folder / SCHXSLT_XSLT).rglob("*.xsl"))]:
            key.update(path.name.encode())
            key.update(path.read_bytes())
        compiled = cache_dir / f"{schematron.stem}-{key.hexdigest()[:16]}.xsl"
        if compiled.is_file():
            return compiled
        pipeline = xslt.compile_stylesheet(stylesheet_file=str(folder / SCHXSLT_PIPELINE))
        text = str(pipeline.transform_to_string(source_file=str(schematron)))
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Written aside and moved into place: two workers compiling at once never read half.
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=cache_dir,
                                         suffix=".part", delete=False) as part:
            part.write(text)
        Path(part.name).replace(compiled)
        return compiled

    def check(self, document: Path | bytes) -> Report:
        """The failed asserts of both rule sets on a UBL document, a file or its UTF-8 bytes."""
        if isinstance(document, Path):
            node = self._saxon.parse_xml(xml_file_name=str(document))
        else:
            node = self._saxon.parse_xml(xml_text=document.decode("utf-8"), encoding="UTF-8")
        return Report(cen=_failures(self._cen, node), peppol=_failures(self._peppol, node))


def _failures(executable: saxonche.PyXsltExecutable, node: saxonche.PyXdmNode
              ) -> tuple[Failure, ...]:
    svrl = ET.fromstring(str(executable.transform_to_string(xdm_node=node)))
    return tuple(
        Failure(
            rule=element.get("id", ""),
            # An assert without a flag is an error in Schematron's sense; both sets flag each.
            flag=element.get("flag", "fatal"),
            location=_NAMESPACES_IN_PATH.sub("", element.get("location", "")),
            text=" ".join("".join(element.itertext()).split()),
        )
        for element in svrl.iter(f"{_SVRL}failed-assert")
    )


@cache
def official_rules() -> Rules:
    """The rules of this session, compiled on first use. Skips the calling test where
    `$SEATBATCH_EINVOICE_RULES` is not set; fails it where the folder it names is incomplete."""
    named = os.environ.get(RULES_VARIABLE, "")
    problem = missing()
    if not named:
        pytest.skip(problem or "")
    if problem:
        pytest.fail(problem, pytrace=False)
    return Rules(Path(named), Path(tempfile.gettempdir()) / "seatbatch-einvoice-rules")
