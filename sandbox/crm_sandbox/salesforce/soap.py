"""The SOAP partner API's envelopes: parse a call, render its response or fault.

Only what the sandbox serves through SOAP (undelete, merge) is modelled; the element
names and their order follow the partner WSDL (UndeleteResult: errors, id, success;
MergeResult: errors, id, mergedRecordIds, success, updatedRelatedIds).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "urn:partner.soap.sforce.com"
SOBJECT_NS = "urn:sobject.partner.soap.sforce.com"
FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPE = "text/xml; charset=utf-8"


class SoapFault(Exception):
    """A SOAP fault (HTTP 500): ``faultcode`` and ``faultstring``, with an sf exception code."""

    def __init__(self, code: str, message: str, *, client: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client = client
        """A malformed request (``soapenv:Client``) rather than an API exception."""

    def render(self) -> str:
        if self.client:
            body = (
                "<soapenv:Fault><faultcode>soapenv:Client</faultcode>"
                f"<faultstring>{escape(self.message)}</faultstring></soapenv:Fault>"
            )
        else:
            body = (
                f"<soapenv:Fault><faultcode>sf:{self.code}</faultcode>"
                f"<faultstring>{self.code}: {escape(self.message)}</faultstring>"
                '<detail><sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault">'
                f"<sf:exceptionCode>{self.code}</sf:exceptionCode>"
                f"<sf:exceptionMessage>{escape(self.message)}</sf:exceptionMessage>"
                "</sf:UnexpectedErrorFault></detail></soapenv:Fault>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{ENVELOPE_NS}" xmlns:sf="{FAULT_NS}" '
            f'xmlns:xsi="{XSI_NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
        )


@dataclass
class SoapCall:
    """One parsed request: the session id, the operation and its element."""

    session_id: str | None
    operation: str
    element: ET.Element
    namespace: str = ""

    def values(self, name: str) -> list[str]:
        """Text of the operation's direct children called ``name`` (e.g. ``ids``)."""
        return [(c.text or "").strip() for c in self.element if _local(c.tag) == name]

    def children(self, name: str) -> list[ET.Element]:
        return [c for c in self.element if _local(c.tag) == name]


@dataclass
class MergeRequest:
    sobject: str
    master: dict[str, Any] = field(default_factory=dict)
    to_merge: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse_call(raw: bytes) -> SoapCall:
    """The envelope's session header and body operation; soapenv:Client faults otherwise."""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise SoapFault("", f"Could not parse the SOAP request: {exc}", client=True) from None
    if _local(root.tag) != "Envelope":
        raise SoapFault("", "The request is not a SOAP envelope", client=True)
    session = None
    body = None
    for part in root:
        if _local(part.tag) == "Header":
            for node in part.iter():
                if _local(node.tag) == "sessionId":
                    session = (node.text or "").strip()
        elif _local(part.tag) == "Body":
            body = part
    operation = next(iter(body), None) if body is not None else None
    if operation is None:
        raise SoapFault("", "The SOAP body holds no operation", client=True)
    namespace = operation.tag[1:].partition("}")[0] if operation.tag.startswith("{") else ""
    return SoapCall(session, _local(operation.tag), operation, namespace)


def merge_requests(call: SoapCall) -> list[MergeRequest]:
    """``<merge><request><masterRecord>…</masterRecord><recordToMergeIds>…`` per request.

    The WSDL names the element ``request``; clients send other names (jsforce 3
    ``mergeRequests``, salesforcer ``mergeRequest``) and Salesforce serves them, so any
    child holding a ``masterRecord`` is a request.
    """
    out = []
    requests = [c for c in call.element if any(_local(g.tag) == "masterRecord" for g in c)]
    for request in requests:
        merge = MergeRequest("")
        for part in request:
            name = _local(part.tag)
            if name == "recordToMergeIds":
                merge.to_merge.append((part.text or "").strip())
            elif name == "masterRecord":
                nulls = []
                for node in part:
                    key = _local(node.tag)
                    if key == "type":
                        merge.sobject = (node.text or "").strip()
                    elif key == "fieldsToNull":
                        nulls.append((node.text or "").strip())
                    elif node.get(f"{{{XSI_NS}}}nil") == "true":
                        merge.master[key] = None
                    else:
                        merge.master[key] = node.text or ""
                merge.master.update(dict.fromkeys(nulls))
        out.append(merge)
    return out


def _errors(errors: Iterable[dict[str, Any]]) -> str:
    out = []
    for error in errors:
        fields = "".join(f"<fields>{escape(f)}</fields>" for f in error.get("fields") or [])
        out.append(
            f"<errors>{fields}<message>{escape(error['message'])}</message>"
            f"<statusCode>{escape(error['statusCode'])}</statusCode></errors>"
        )
    return "".join(out)


def _id(value: str | None) -> str:
    return f"<id>{escape(value)}</id>" if value else '<id xsi:nil="true"/>'


def undelete_result(result: dict[str, Any]) -> str:
    return (
        f"<result>{_errors(result['errors'])}{_id(result['id'])}"
        f"<success>{str(result['success']).lower()}</success></result>"
    )


def merge_result(result: dict[str, Any]) -> str:
    merged = "".join(f"<mergedRecordIds>{i}</mergedRecordIds>" for i in result["mergedRecordIds"])
    related = "".join(
        f"<updatedRelatedIds>{i}</updatedRelatedIds>" for i in result["updatedRelatedIds"]
    )
    return (
        f"<result>{_errors(result['errors'])}{_id(result['id'])}{merged}"
        f"<success>{str(result['success']).lower()}</success>{related}</result>"
    )


def envelope(operation: str, results: str, limit: tuple[int, int] | None) -> str:
    """``<{operation}Response>`` with its results, and the LimitInfoHeader."""
    header = ""
    if limit is not None:
        header = (
            "<soapenv:Header><LimitInfoHeader><limitInfo>"
            f"<current>{limit[0]}</current><limit>{limit[1]}</limit><type>API REQUESTS</type>"
            "</limitInfo></LimitInfoHeader></soapenv:Header>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{ENVELOPE_NS}" xmlns="{PARTNER_NS}" '
        f'xmlns:xsi="{XSI_NS}">{header}<soapenv:Body>'
        f"<{operation}Response>{results}</{operation}Response>"
        "</soapenv:Body></soapenv:Envelope>"
    )
