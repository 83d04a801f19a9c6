"""Describe results (describeGlobal, describeSObject) rendered from the schema model.

Key sets and defaults follow a v62.0 describe of a Developer Edition org; values the
model does not carry (masks, formulas, layouts) take the values a plain field has.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, SchemaRegistry

MERGEABLE = ("Account", "Case", "Contact", "Lead")
"""Objects the merge call takes (describe's ``mergeable``)."""

MASTER_RECORD_TYPE = "012000000000000AAA"
_STRING_TYPES = {
    "string", "textarea", "picklist", "multipicklist", "combobox", "phone", "email", "url",
    "encryptedstring",
}  # fmt: skip


def object_urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "compactLayouts": f"{base}/describe/compactLayouts",
        "rowTemplate": f"{base}/{{ID}}",
        "approvalLayouts": f"{base}/describe/approvalLayouts",
        "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
        "listviews": f"{base}/listviews",
        "describe": f"{base}/describe",
        "quickActions": f"{base}/quickActions",
        "layouts": f"{base}/describe/layouts",
        "sobject": base,
    }


def global_entry(obj: ObjectDef, version: str) -> dict[str, Any]:
    """One object of ``GET /sobjects`` (also ``objectDescribe`` of ``GET /sobjects/{O}``)."""
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": obj.createable,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": obj.feed_enabled,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.name in MERGEABLE,
        "mruEnabled": True,
        "name": obj.name,
        "queryable": obj.queryable,
        "replicateable": obj.replicateable,
        "retrieveable": obj.retrieveable,
        "searchable": obj.searchable,
        "triggerable": obj.triggerable,
        "undeletable": obj.undeletable,
        "updateable": obj.updateable,
        "urls": object_urls(obj, version),
    }


def describe_global(schema: SchemaRegistry, version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [global_entry(o, version) for o in sorted(schema.objects(), key=_name)],
    }


def _name(obj: ObjectDef) -> str:
    return obj.name


def describe_field(fdef: FieldDef) -> dict[str, Any]:
    """One entry of ``fields[]`` in an sObject describe."""
    ftype = fdef.type
    length = fdef.length if ftype in _STRING_TYPES or ftype in ("id", "reference") else 0
    byte_length = length * 3 if ftype in _STRING_TYPES else length
    system = not fdef.createable and not fdef.updateable
    default_value: Any = None
    if ftype == "boolean":
        default_value = bool(fdef.default_value)
    picklist = [
        {
            "active": True,
            "defaultValue": value == fdef.default_picklist_value,
            "label": value,
            "validFor": None,
            "value": value,
        }
        for value in fdef.picklist_values
    ]
    return {
        "aggregatable": fdef.groupable and ftype not in ("textarea", "multipicklist"),
        "aiPredictionField": False,
        "autoNumber": fdef.auto_number,
        "byteLength": byte_length,
        "calculated": fdef.calculated,
        "calculatedFormula": fdef.formula,  # roll-up summaries report none (unverified)
        "cascadeDelete": False,
        "caseSensitive": fdef.case_sensitive,
        "compoundFieldName": fdef.compound_field_name,
        "controllerName": None,
        "createable": fdef.createable,
        "custom": fdef.custom,
        "defaultValue": default_value,
        "defaultValueFormula": None,
        "defaultedOnCreate": fdef.defaulted_on_create,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": fdef.digits,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": fdef.external_id,
        "extraTypeInfo": fdef.extra_type_info,
        "filterable": fdef.filterable,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": fdef.groupable and ftype not in ("double", "currency", "percent"),
        "highScaleNumber": False,
        "htmlFormatted": fdef.html_formatted,
        "idLookup": fdef.id_lookup,
        "inlineHelpText": fdef.inline_help_text,
        "label": fdef.label,
        "length": length,
        "mask": None,
        "maskType": None,
        "name": fdef.name,
        "nameField": fdef.name_field,
        "namePointing": len(fdef.reference_to) > 1,
        "nillable": fdef.nillable,
        "permissionable": fdef.custom and fdef.nillable and not system,
        "picklistValues": picklist,
        "polymorphicForeignKey": len(fdef.reference_to) > 1,
        "precision": fdef.precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(fdef.reference_to),
        "relationshipName": fdef.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": fdef.restricted_picklist,
        "scale": fdef.scale,
        "searchPrefilterable": ftype == "reference",
        "soapType": fdef.soap_type,
        "sortable": fdef.sortable,
        "type": ftype,
        "unique": fdef.unique,
        "updateable": fdef.updateable,
        "writeRequiresMasterRead": False,
    }


def describe_object(schema: SchemaRegistry, obj: ObjectDef, version: str) -> dict[str, Any]:
    """The body of ``GET /sobjects/{O}/describe``."""
    children = [
        {
            "cascadeDelete": rel.cascade_delete,
            "childSObject": rel.child_object,
            "deprecatedAndHidden": False,
            "field": rel.field,
            "junctionIdListNames": [],
            "junctionReferenceTo": [],
            "relationshipName": rel.relationship_name,
            "restrictedDelete": False,
        }
        for rel in schema.child_relationships(obj.name)
    ]
    body = global_entry(obj, version)
    body.update(
        {
            "actionOverrides": [],
            "childRelationships": children,
            "compactLayoutable": True,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "fields": [describe_field(f) for f in obj.fields.values()],
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [
                {
                    "active": True,
                    "available": True,
                    "defaultRecordTypeMapping": True,
                    "developerName": "Master",
                    "master": True,
                    "name": "Master",
                    "recordTypeId": MASTER_RECORD_TYPE,
                    "urls": {
                        "layout": f"/services/data/v{version}/sobjects/{obj.name}/describe/"
                        f"layouts/{MASTER_RECORD_TYPE}"
                    },
                }
            ],
            "searchLayoutable": True,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [
                {"label": "All " + obj.label_plural.lower(), "name": "everything"},
                {"label": "My " + obj.label_plural.lower(), "name": "mine"},
            ],
            "urls": object_urls(obj, version),
        }
    )
    return dict(sorted(body.items()))
