/**
 * The console's access-log page offers every filter the API has (console/static/audit.js): read
 * from the page's source, so a criterion added to the API (audit/filter.ts) and not to the page
 * fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { FILTER_FIELDS } from '../../../audit/filter.js';

const page = readFileSync(new URL('../../../console/static/audit.js', import.meta.url), 'utf8');

describe('the console’s access-log filters', () => {
  it('have a field for every criterion of the API, and start empty', () => {
    const empty = /const EMPTY = \{([^}]*)\}/.exec(page)?.[1] ?? '';
    const inForm = FILTER_FIELDS.filter((field) => page.includes(`name="${field}"`) || page.includes(`name=${field}`));
    const startEmpty = FILTER_FIELDS.filter((field) => new RegExp(`\\b${field}: ''`).test(empty));
    expect(inForm).toEqual([...FILTER_FIELDS]);
    expect(startEmpty).toEqual([...FILTER_FIELDS]);
  });
});
