// dashboard/lib/filters.js — the page's URL query: parsed, checked, and written back.
//
// The query is the page's state (a filtered view is shared by sharing its
// URL): actor, action, type, from, to, outcome, before_id, and tz. Parsing
// never throws: it returns the values for search() plus a list of problems
// to show on the page.

export const OUTCOMES = ['success', 'failure', 'denied'];

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const CATEGORY = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$/;
const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ID = /^[1-9][0-9]{0,18}$/;
const INT8_MAX = 9223372036854775807n;
const MAX_TEXT = 1000;

// The names the form and the URL use, in the order links write them.
export const FILTER_KEYS = ['actor', 'action', 'type', 'from', 'to', 'outcome'];
const KEPT_AS_GIVEN = new Set(['actor', 'type']);

// dd/mm/yyyy -> yyyy-mm-dd, or null when it is no real calendar day.
export function parseDate(text) {
    const m = DATE.exec(text);
    if (!m)
        return null;
    const day = Number(m[1]), month = Number(m[2]), year = Number(m[3]);
    if (year < 1 || month < 1 || month > 12 || day < 1)
        return null;
    const last = new Date(Date.UTC(2000, month, 0)).getUTCDate();   // days of that month in a leap year
    if (day > last || (month === 2 && day === 29 && !isLeap(year)))
        return null;
    return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function isLeap(y) {
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

// Reads the filters of a URLSearchParams. Returns
//   raw:      the strings as given (to refill the form, even when wrong),
//   args:     the values for search()/event_count() (null = no filter),
//   beforeId: the keyset cursor or null,
//   tz:       the time zone asked for in the query, or null,
//   errors:   messages for the page, empty when all is well.
export function parseQuery(params) {
    const raw = {};
    // actor and type are chosen from the dropdowns, whose values are the
    // log's own: kept as given (an actor may end in a space); one of white
    // space alone is no filter. The typed fields are trimmed.
    for (const k of [...FILTER_KEYS, 'before_id', 'tz']) {
        const v = params.get(k) ?? '';
        raw[k] = KEPT_AS_GIVEN.has(k) && v.trim() !== '' ? v : v.trim();
    }
    const errors = [];
    const args = { actor: null, action: null, resourceType: null, fromDate: null, toDate: null, outcome: null };

    // values no filter can take: refused before anything else is read
    for (const [k, v] of Object.entries(raw)) {
        if (v.includes('\0')) {
            errors.push(`The ${k} filter holds a NUL character, which no value in the log can.`);
            raw[k] = v.replaceAll('\0', '');
        } else if (v.length > MAX_TEXT) {
            errors.push(`The ${k} filter is too long (at most ${MAX_TEXT} characters).`);
            raw[k] = v.slice(0, MAX_TEXT);
        }
    }
    if (errors.length)
        return { raw, args, beforeId: null, tz: null, errors };

    if (raw.actor)
        args.actor = raw.actor;
    if (raw.type)
        args.resourceType = raw.type;
    if (raw.action) {
        if (ACTION.test(raw.action) || CATEGORY.test(raw.action))
            args.action = raw.action;
        else
            errors.push(`"${raw.action}" is no action: use an action such as auth.login, or a category such as credential.*.`);
    }
    for (const [k, label, field] of [['from', 'From', 'fromDate'], ['to', 'To', 'toDate']]) {
        if (!raw[k])
            continue;
        const iso = parseDate(raw[k]);
        if (iso)
            args[field] = iso;
        else
            errors.push(`${label} date "${raw[k]}" is not a date: write it as dd/mm/yyyy, for example 07/05/2026.`);
    }
    if (args.fromDate && args.toDate && args.fromDate > args.toDate)
        errors.push(`The From date ${raw.from} is after the To date ${raw.to}.`);
    if (raw.outcome) {
        const o = raw.outcome.toLowerCase();
        if (OUTCOMES.includes(o))
            args.outcome = o;
        else
            errors.push(`"${raw.outcome}" is no outcome: choose Success, Failure or Denied.`);
    }
    let beforeId = null;
    if (raw.before_id) {
        if (ID.test(raw.before_id) && BigInt(raw.before_id) <= INT8_MAX)
            beforeId = raw.before_id;
        else
            errors.push(`"${raw.before_id}" is no event id: the Older link gives the right one.`);
    }
    return { raw, args, beforeId, tz: raw.tz || null, errors };
}

// A query string from name/value pairs, leaving out empty values. Keeps the
// characters that need no escaping in a query (/ * : , @) readable, so that
// a shared link reads like ?actor=system&action=credential.*&from=01/05/2026.
export function queryString(pairs) {
    const parts = [];
    for (const [k, v] of pairs) {
        if (v === null || v === undefined || v === '')
            continue;
        parts.push(`${enc(k)}=${enc(String(v))}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
}

function enc(s) {
    return encodeURIComponent(s).replace(/%(2F|2A|3A|2C|40)/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

// The pairs of the current filters (as given, so that a link keeps them).
export function filterPairs(raw, extra = []) {
    const pairs = FILTER_KEYS.map(k => [k, raw[k]]);
    return pairs.concat(extra);
}
