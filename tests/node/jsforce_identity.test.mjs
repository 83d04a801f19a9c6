// jsforce 3 against the sandbox: OAuth username-password login, identity(),
// a query with autoFetch over nextRecordsUrl pages, and a Composite API call.
// Run by tests/sandbox/test_node_clients.py, which seeds the org (over 2,000
// Project__c rows) and sets CRM_SANDBOX_* and NODE_EXTRA_CA_CERTS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import jsforce from 'jsforce';

const env = process.env;
const version = env.CRM_SANDBOX_SF_API_VERSION ?? '62.0';

async function login() {
  const conn = new jsforce.Connection({
    oauth2: {
      loginUrl: env.CRM_SANDBOX_SF_LOGIN_URL,
      clientId: env.CRM_SANDBOX_SF_CLIENT_ID,
      clientSecret: env.CRM_SANDBOX_SF_CLIENT_SECRET,
    },
    version,
  });
  const userInfo = await conn.login(
    env.CRM_SANDBOX_SF_USERNAME,
    env.CRM_SANDBOX_SF_PASSWORD + env.CRM_SANDBOX_SF_SECURITY_TOKEN,
  );
  return { conn, userInfo };
}

test('login and identity()', async () => {
  const { conn, userInfo } = await login();
  assert.equal(conn.instanceUrl, env.CRM_SANDBOX_SF_INSTANCE_URL);
  const identity = await conn.identity();
  assert.equal(identity.user_id, userInfo.id);
  assert.equal(identity.organization_id, userInfo.organizationId);
  assert.equal(identity.id, userInfo.url);
  assert.equal(identity.username, env.CRM_SANDBOX_SF_USERNAME);
  assert.equal(identity.active, true);
  assert.match(identity.urls.rest, /\/services\/data\/v\{version\}\/$/);
});

test('query with autoFetch walks every page', async () => {
  const { conn } = await login();
  const count = await conn.query('SELECT COUNT() FROM Project__c');
  assert.ok(count.totalSize > 2000, `seed more than one page, got ${count.totalSize}`);
  const fetched = [];
  const result = await conn
    .query('SELECT Id, Name FROM Project__c')
    .on('record', (record) => fetched.push(record))
    .run({ autoFetch: true, maxFetch: 100000 });
  assert.equal(result.totalSize, count.totalSize);
  assert.equal(result.done, true);
  assert.equal(result.records.length, count.totalSize);
  assert.equal(fetched.length, count.totalSize);
  assert.equal(new Set(fetched.map((r) => r.Id)).size, count.totalSize);
});

test('composite request with a reference', async () => {
  const { conn } = await login();
  const base = `/services/data/v${version}`;
  const reply = await conn.requestPost('/composite', {
    allOrNone: true,
    compositeRequest: [
      { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'acct',
        body: { Name: 'Node Composite' } },
      { method: 'GET', url: `${base}/sobjects/Account/@{acct.id}?fields=Name`,
        referenceId: 'read' },
    ],
  });
  const [created, read] = reply.compositeResponse;
  assert.equal(created.httpStatusCode, 201);
  assert.equal(read.httpStatusCode, 200);
  assert.equal(read.body.Name, 'Node Composite');
  await conn.sobject('Account').destroy(created.body.id);
});
