/*-------------------------------------------------------------------------
 *
 * src/display.c
 *	  Display helpers for dashboards: initials and format_time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/value.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/pg_locale.h"
#include "utils/timestamp.h"

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/*
 * Length in bytes of the white space character at p (before end), or 0 when
 * p is no space: ASCII white space, and in UTF-8 also the no-break, the
 * typographic and the ideographic spaces that names pasted from elsewhere
 * carry.
 */
static int
SpaceLength(const unsigned char *p, const unsigned char *end)
{
	if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		return 1;
	if (GetDatabaseEncoding() != PG_UTF8)
		return 0;
	/* U+00A0 */
	if (end - p >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
		return 2;
	if (end - p >= 3)
	{
		/* U+2000..U+200A, U+202F, U+205F */
		if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xAF))
			return 3;
		if (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F)
			return 3;
		/* U+3000 */
		if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
			return 3;
	}
	return 0;
}

/*
 * Length in bytes of the character at p (before end). In a SQL_ASCII
 * database, whose bytes the server does not interpret, a valid UTF-8
 * sequence counts as one character, so that an initial is never cut in
 * the middle of one (names there are UTF-8 nearly always).
 */
static int
CharLength(const unsigned char *p, const unsigned char *end)
{
	int			n;

	if (*p < 0x80)
		return 1;
	if (GetDatabaseEncoding() == PG_SQL_ASCII)
	{
		n = pg_utf_mblen(p);
		return (n <= end - p && pg_utf8_islegal(p, n)) ? n : 1;
	}
	return Min(pg_mblen((const char *) p), end - p);
}

/*
 * Code points that belong to the character before them, of the scripts
 * names are commonly written in: combining diacritics (Latin, Greek,
 * Cyrillic, Hebrew points, Arabic harakat), Devanagari vowel signs, Hangul
 * medial and final jamo (a decomposed syllable), the Japanese voicing
 * marks (a decomposed ga or pa, as macOS file names give them), variation
 * selectors and the supplementary-plane combining marks. Not a full Unicode
 * table: a mark outside these stays out of the initial.
 */
static const struct
{
	pg_wchar	first;
	pg_wchar	last;
}			combining_ranges[] =
{
	{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
	{0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},
	{0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4},
	{0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0900, 0x0903}, {0x093A, 0x093C},
	{0x093E, 0x094F}, {0x0951, 0x0957}, {0x0962, 0x0963}, {0x1160, 0x11FF},
	{0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x20D0, 0x20FF}, {0x302A, 0x302F},
	{0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0x1D165, 0x1D169},
	{0x1D16D, 0x1D172}, {0xE0100, 0xE01EF},
};

/* True when the character at p is one of combining_ranges. */
static bool
IsCombiningMark(const unsigned char *p, const unsigned char *end)
{
	pg_wchar	c;
	int			n;

	if (*p < 0x80 || (GetDatabaseEncoding() != PG_UTF8 &&
					  GetDatabaseEncoding() != PG_SQL_ASCII))
		return false;
	n = pg_utf_mblen(p);
	if (n < 2 || n > end - p || !pg_utf8_islegal(p, n))
		return false;
	c = utf8_to_unicode(p);
	for (int i = 0; i < (int) lengthof(combining_ranges); i++)
	{
		if (c >= combining_ranges[i].first && c <= combining_ranges[i].last)
			return true;
	}
	return false;
}

/* Appends the initial at p: its character and the combining marks after it. */
static void
AppendInitial(StringInfo buf, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p + CharLength(p, end);

	while (q < end && IsCombiningMark(q, end))
		q += CharLength(q, end);
	appendBinaryStringInfo(buf, (const char *) p, q - p);
}

/*
 * The collation to upper-case initials with: the argument's, unless it
 * knows only ASCII (C, POSIX), in which case ICU's root locale when the
 * server has it, so that an accented initial (U+00E9) still becomes U+00C9.
 */
static Oid
InitialsCollation(Oid collid)
{
	if (!OidIsValid(collid))
		collid = DEFAULT_COLLATION_OID;
	if (lc_ctype_is_c(collid))
	{
		Oid			icu = get_collation_oid(list_make2(makeString("pg_catalog"),
													   makeString("und-x-icu")), true);

		if (OidIsValid(icu))
			return icu;
	}
	return collid;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_initials);
/*
 * auditlog.initials(text) RETURNS text: the avatar's letters, the initial
 * of the first and of the last word, upper-cased ("JD" for "John Doe", "S"
 * for "system"). Words are separated by white space; a word's initial is
 * its first character that is no ASCII punctuation, so '"Jo" (Admin)'
 * gives "JA", and a word of punctuation alone ("-") does not count; an
 * initial keeps the combining marks that follow it. A name with no word
 * gives ''.
 */
Datum
auditlog_initials(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(name);
	const unsigned char *end = p + VARSIZE_ANY_EXHDR(name);
	const unsigned char *first = NULL;
	const unsigned char *last = NULL;
	StringInfoData buf;
	text	   *letters;

	while (p < end)
	{
		const unsigned char *initial = NULL;
		int			n;

		while (p < end && (n = SpaceLength(p, end)) > 0)
			p += n;
		/* one word: up to the next space */
		while (p < end && SpaceLength(p, end) == 0)
		{
			if (initial == NULL && !(*p < 0x80 && ispunct(*p)))
				initial = p;
			p += CharLength(p, end);
		}
		if (initial)
		{
			if (first == NULL)
				first = initial;
			else
				last = initial;
		}
	}

	initStringInfo(&buf);
	if (first)
		AppendInitial(&buf, first, end);
	if (last)
		AppendInitial(&buf, last, end);
	letters = cstring_to_text_with_len(buf.data, buf.len);
	if (buf.len == 0)
		PG_RETURN_TEXT_P(letters);
	PG_RETURN_DATUM(DirectFunctionCall1Coll(upper, InitialsCollation(PG_GET_COLLATION()),
											PointerGetDatum(letters)));
}

PG_FUNCTION_INFO_V1(auditlog_format_time);
/*
 * auditlog.format_time(timestamptz) RETURNS text: the time as the audit
 * log page shows it, "May 7, 10:39:19 PM", in the session's time zone:
 * English month abbreviation, day, 12-hour clock with seconds (truncated),
 * no year. Infinite times read 'infinity' and '-infinity'.
 */
Datum
auditlog_format_time(PG_FUNCTION_ARGS)
{
	TimestampTz t = PG_GETARG_TIMESTAMPTZ(0);
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			hour12;

	if (TIMESTAMP_IS_NOBEGIN(t))
		PG_RETURN_TEXT_P(cstring_to_text("-infinity"));
	if (TIMESTAMP_IS_NOEND(t))
		PG_RETURN_TEXT_P(cstring_to_text("infinity"));
	if (timestamp2tm(t, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	hour12 = tm.tm_hour % 12;
	if (hour12 == 0)
		hour12 = 12;
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s %d, %d:%02d:%02d %s",
											  months[tm.tm_mon - 1], tm.tm_mday,
											  hour12, tm.tm_min, tm.tm_sec,
											  tm.tm_hour < 12 ? "AM" : "PM")));
}
