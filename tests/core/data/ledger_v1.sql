BEGIN TRANSACTION;
CREATE TABLE dead_letter (
	id INTEGER NOT NULL, 
	mapping VARCHAR(128) NOT NULL, 
	direction VARCHAR(16) NOT NULL, 
	source_id VARCHAR(64) NOT NULL, 
	payload JSON NOT NULL, 
	error_code VARCHAR(128) NOT NULL, 
	message TEXT NOT NULL, 
	attempts INTEGER NOT NULL, 
	first_seen DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	resolved_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_dead_letter UNIQUE (mapping, direction, source_id)
);
INSERT INTO "dead_letter" VALUES(1,'project','sf_to_hs','a0000000000000002','{"Name": "x"}','DUPLICATE_VALUE','duplicate value found',1,'2026-11-29 11:19:16.242872','2026-11-29 11:19:16.242872',NULL);
CREATE TABLE ledger_schema_version (
	version INTEGER NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "ledger_schema_version" VALUES(1,'2026-11-29 11:19:16.216758');
CREATE TABLE mapping_object (
	mapping VARCHAR(128) NOT NULL, 
	side VARCHAR(16) NOT NULL, 
	object_name VARCHAR(128) NOT NULL, 
	object_type_id VARCHAR(64), 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (mapping, side)
);
CREATE TABLE pending_association (
	id INTEGER NOT NULL, 
	mapping VARCHAR(128) NOT NULL, 
	direction VARCHAR(16) NOT NULL, 
	from_id VARCHAR(64) NOT NULL, 
	lookup VARCHAR(128) NOT NULL, 
	label VARCHAR(128), 
	target_mapping VARCHAR(128) NOT NULL, 
	target_source_id VARCHAR(64) NOT NULL, 
	attempts INTEGER NOT NULL, 
	last_error TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_pending_association UNIQUE (mapping, direction, from_id, lookup)
);
INSERT INTO "pending_association" VALUES(1,'project','sf_to_hs','a0000000000000001','Account__c','{"category": "USER_DEFINED", "label": "Project''s company", "lookup": "Account__c", "type_id": 7}','account','0010000000000001',1,NULL,'2026-11-29 11:19:16.242872','2026-11-29 11:19:16.242872');
INSERT INTO "pending_association" VALUES(2,'project','sf_to_hs','a0000000000000003','Owner__c',NULL,'account','0010000000000002',1,NULL,'2026-11-29 11:19:16.242872','2026-11-29 11:19:16.242872');
CREATE TABLE run_log (
	run_id VARCHAR(128) NOT NULL, 
	mapping VARCHAR(128) NOT NULL, 
	direction VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	dry_run BOOLEAN NOT NULL, 
	read INTEGER NOT NULL, 
	created INTEGER NOT NULL, 
	updated INTEGER NOT NULL, 
	unchanged INTEGER NOT NULL, 
	deleted INTEGER NOT NULL, 
	skipped INTEGER NOT NULL, 
	conflicts INTEGER NOT NULL, 
	failed INTEGER NOT NULL, 
	associations_made INTEGER NOT NULL, 
	associations_pending INTEGER NOT NULL, 
	api_calls INTEGER NOT NULL, 
	PRIMARY KEY (run_id, mapping, direction)
);
CREATE TABLE sync_record (
	id INTEGER NOT NULL, 
	mapping VARCHAR(128) NOT NULL, 
	sf_id VARCHAR(64) NOT NULL, 
	hs_id VARCHAR(64) NOT NULL, 
	base JSON, 
	sf_modified_at DATETIME, 
	hs_modified_at DATETIME, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sync_record_sf UNIQUE (mapping, sf_id), 
	CONSTRAINT uq_sync_record_hs UNIQUE (mapping, hs_id)
);
INSERT INTO "sync_record" VALUES(1,'project','a0000000000000001','101','{"salesforce": {"Name": "A"}, "hubspot": {"project_name": "A"}}',NULL,NULL,'2026-11-29 11:19:16.233609');
CREATE TABLE tombstone (
	mapping VARCHAR(128) NOT NULL, 
	side VARCHAR(16) NOT NULL, 
	record_id VARCHAR(64) NOT NULL, 
	deleted_at DATETIME NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	PRIMARY KEY (mapping, side, record_id)
);
COMMIT;
