// @hubspot/api-client types `sorts` as string[]: `sorts: ['name']` must sort ascending by
// name (the sandbox answered 500 to it before). Run against a sandbox, configured only
// from what `crm-sandbox env` prints, with NODE_EXTRA_CA_CERTS set to its CA bundle:
//   eval "$(crm-sandbox env)"; NODE_EXTRA_CA_CERTS=$CRM_SANDBOX_CA_BUNDLE node --test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';

const basePath = process.env.CRM_SANDBOX_HS_BASE_URL;
const accessToken = process.env.CRM_SANDBOX_HS_ACCESS_TOKEN;
const skip = basePath && accessToken ? false : 'no sandbox: CRM_SANDBOX_HS_* are not set';

test('companies search with sorts given as property names', { skip }, async () => {
  const client = new Client({ accessToken, basePath });
  const names = ['delta co', 'Alpha Ltd', 'charlie inc', 'Bravo GmbH'];
  const stamp = `${Date.now()}`;
  const made = await client.crm.companies.batchApi.create({
    inputs: names.map((name) => ({ properties: { name, domain: `${stamp}.example` }, associations: [] })),
  });
  const ids = made.results.map((r) => r.id);
  const onlyOurs = [{ filters: [{ propertyName: 'domain', operator: 'EQ', value: `${stamp}.example` }] }];
  try {
    const page = await client.crm.companies.searchApi.doSearch({
      filterGroups: onlyOurs,
      sorts: ['name'],
      properties: ['name'],
      limit: 10,
      after: '0',
    });
    assert.equal(page.total, names.length);
    const got = page.results.map((r) => r.properties.name);
    // HubSpot compares strings case-insensitively
    assert.deepEqual(got, [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  } finally {
    await client.crm.companies.batchApi.archive({ inputs: ids.map((id) => ({ id })) });
  }
});
