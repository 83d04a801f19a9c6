// @hubspot/api-client lists companies with `propertiesWithHistory`: each listed record
// carries its history as a read by id does (the sandbox listed none before). Run by
// tests/sandbox/test_node_clients.py with CRM_SANDBOX_* and NODE_EXTRA_CA_CERTS set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';

const basePath = process.env.CRM_SANDBOX_HS_BASE_URL;
const accessToken = process.env.CRM_SANDBOX_HS_ACCESS_TOKEN;
const skip = basePath && accessToken ? false : 'no sandbox: CRM_SANDBOX_HS_* are not set';

test('getAll with propertiesWithHistory', { skip }, async () => {
  const client = new Client({ accessToken, basePath });
  const made = await client.crm.companies.basicApi.create({
    properties: { name: 'History Ltd', domain: `${Date.now()}.history.example` },
    associations: [],
  });
  const listed = await client.crm.companies.getAll(100, undefined, ['name'], ['name']);
  const mine = listed.find((company) => company.id === made.id);
  assert.ok(mine, `company ${made.id} is listed`);
  assert.equal(mine.propertiesWithHistory.name.length, 1);
  assert.equal(mine.propertiesWithHistory.name[0].value, 'History Ltd');
  const byId = await client.crm.companies.basicApi.getById(made.id, ['name'], ['name']);
  assert.deepEqual(mine.propertiesWithHistory, byId.propertiesWithHistory);
});
