"""The HubSpot API sandbox: CRM v3 objects, schemas, properties, search; v4 associations."""
