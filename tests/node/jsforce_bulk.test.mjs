// jsforce 3's Bulk API 1.0 client (conn.bulk) against the sandbox: an XML job with
// CSV batches, as jsforce sends it, for a query and for an insert.
// Run by tests/sandbox/test_node_clients.py (seeds over 2,000 Project__c rows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import jsforce from 'jsforce';

const env = process.env;

function connect() {
  const conn = new jsforce.Connection({
    instanceUrl: env.CRM_SANDBOX_SF_INSTANCE_URL,
    accessToken: env.CRM_SANDBOX_SF_ACCESS_TOKEN,
    version: env.CRM_SANDBOX_SF_API_VERSION ?? '62.0',
  });
  conn.bulk.pollInterval = 100;
  return conn;
}

function collect(stream) {
  return new Promise((resolve, reject) => {
    const records = [];
    stream.on('record', (record) => records.push(record));
    stream.on('end', () => resolve(records));
    stream.on('error', reject);
  });
}

test('bulk query streams every row once', async () => {
  const conn = connect();
  const count = await conn.query('SELECT COUNT() FROM Project__c');
  const records = await collect(await conn.bulk.query('SELECT Id, Name FROM Project__c'));
  assert.equal(records.length, count.totalSize);
  assert.equal(new Set(records.map((r) => r.Id)).size, count.totalSize);
  assert.deepEqual(Object.keys(records[0]), ['Id', 'Name']);
});

test('bulk load inserts and reports per record', async () => {
  const conn = connect();
  const results = await conn.bulk.load('Account', 'insert', [
    { Name: 'Bulk One', NumberOfEmployees: 5 },
    { Name: 'Bulk Two', NumberOfEmployees: 'many' },
  ]);
  assert.equal(results.length, 2);
  assert.equal(results[0].success, true);
  assert.match(results[0].id, /^001/);
  assert.equal(results[1].success, false);
  assert.match(results[1].errors.join(' '), /INVALID_FIELD/);
  const made = await conn.sobject('Account').retrieve(results[0].id);
  assert.equal(made.Name, 'Bulk One');
  await conn.sobject('Account').destroy(results[0].id);
});
