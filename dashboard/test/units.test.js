// dashboard/test/units.test.js — the parts that need no database or browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDate, parseQuery, queryString } from '../lib/filters.js';
import { csvField } from '../lib/app.js';
import { esc, formatCount, renderPage } from '../lib/render.js';

test('dd/mm/yyyy dates: real calendar days only', () => {
    assert.equal(parseDate('07/05/2026'), '2026-05-07');
    assert.equal(parseDate('7/5/2026'), '2026-05-07');
    assert.equal(parseDate('29/02/2024'), '2024-02-29');
    for (const bad of ['29/02/2026', '31/04/2026', '00/01/2026', '01/13/2026', '2026-05-07', '07/05/26', '07.05.2026', ''])
        assert.equal(parseDate(bad), null, bad);
});

test('the query: filters for search(), and a message for each wrong one', () => {
    const ok = parseQuery(new URLSearchParams('actor=system&action=credential.*&type=connection&from=01/05/2026&to=31/05/2026&outcome=Denied'));
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.args, { actor: 'system', action: 'credential.*', resourceType: 'connection',
        fromDate: '2026-05-01', toDate: '2026-05-31', outcome: 'denied' });
    const bad = parseQuery(new URLSearchParams('action=DROP TABLE&outcome=ok&before_id=-1&from=31/05/2026&to=01/05/2026'));
    assert.equal(bad.errors.length, 4);
    assert.equal(bad.beforeId, null);
    assert.equal(parseQuery(new URLSearchParams('before_id=9223372036854775808')).errors.length, 1);
    assert.equal(parseQuery(new URLSearchParams('before_id=9223372036854775807')).beforeId, '9223372036854775807');
    assert.deepEqual(parseQuery(new URLSearchParams('actor=&from=')).args.actor, null);
});

test('links read like the seed\'s: ?actor=system&action=credential.*&from=01/05/2026', () => {
    assert.equal(queryString([['actor', 'system'], ['action', 'credential.*'], ['type', ''], ['from', '01/05/2026']]),
        '?actor=system&action=credential.*&from=01/05/2026');
    assert.equal(queryString([['actor', 'John Doe & Co']]), '?actor=John%20Doe%20%26%20Co');
    assert.equal(queryString([]), '');
});

test('CSV fields (RFC 4180)', () => {
    assert.equal(csvField(null), '');
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\r\nlines'), '"two\r\nlines"');
});

test('the page escapes what it shows', () => {
    assert.equal(esc('<a href="x">\'&'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    assert.equal(formatCount(1n), '1 event');
    assert.equal(formatCount(1234567n), '1,234,567 events');
    const raw = { actor: '<script>', action: '', type: '', from: '', to: '', outcome: '', before_id: '', tz: '' };
    const html = renderPage({ raw, options: { actor: [], action: [], resource_type: [] },
        page: { rows: [{ id: '1', occurred_at: 'x', time_label: 'May 7, 10:39:19 PM', actor: '"><img src=x>',
            initials: '">', action: 'auth.login', resource_type: null, resource_id: null, outcome: 'success',
            outcome_label: 'Success' }], total: 1n, hasOlder: false },
        errors: [], notices: [], timeZone: 'UTC', tzParam: null });
    assert.doesNotMatch(html, /<script>|<img/);
    assert.match(html, /&lt;script&gt;/);
});

test('dropdown values are kept as given; NUL is refused by name', () => {
    assert.equal(parseQuery(new URLSearchParams('actor=John%20Doe%20')).args.actor, 'John Doe ');
    assert.equal(parseQuery(new URLSearchParams('type=%20doc')).args.resourceType, ' doc');
    assert.equal(parseQuery(new URLSearchParams('actor=%20%20')).args.actor, null);
    assert.equal(parseQuery(new URLSearchParams('from=%2001/05/2026%20')).args.fromDate, '2026-05-01');
    const nul = parseQuery(new URLSearchParams('actor=a%00b'));
    assert.deepEqual(nul.errors, ['The actor filter holds a NUL character, which no value in the log can.']);
    assert.equal(nul.args.actor, null);
    assert.doesNotMatch(nul.raw.actor, /\0/);
});

test('a long resource id is shortened by characters, not halves of an emoji', () => {
    const raw = { actor: '', action: '', type: '', from: '', to: '', outcome: '', before_id: '', tz: '' };
    const html = renderPage({ raw, options: { actor: [], action: [], resource_type: [] },
        page: { rows: [{ id: '1', occurred_at: 'x', time_label: 'May 7, 10:39:19 PM', actor: 'system',
            initials: 'S', action: 'doc.create', resource_type: 'doc', resource_id: 'aaaaaaaaaaaaa\u{1F984}bbbbbbbbb',
            outcome: 'success', outcome_label: 'Success' }], total: 1n, hasOlder: false },
        errors: [], notices: [], timeZone: 'UTC', tzParam: null });
    assert.match(html, /aaaaaaaaaaaaa\u{1F984}\.\.\./u);
    assert.doesNotMatch(html, /\uFFFD/);
});
