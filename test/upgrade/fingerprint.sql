-- test/upgrade/fingerprint.sql — every object of the auditlog extension, as
-- text that names no oid, one line each: the upgrade test runs it in an
-- updated database and in a fresh install and requires the same lines.
\pset tuples_only on
\pset format unaligned
WITH ext AS (SELECT oid, extnamespace FROM pg_extension WHERE extname = 'auditlog'),
members AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
lines AS (
    -- the extension itself
    SELECT 'extension ' || e.extname || ' version=' || e.extversion || ' schema=' || e.extnamespace::regnamespace
           || ' relocatable=' || e.extrelocatable
           || ' config=' || coalesce((SELECT string_agg(c::regclass::text || ':' || coalesce(w, ''), ',' ORDER BY c::regclass::text)
                                        FROM unnest(e.extconfig, e.extcondition) AS u(c, w)), '')
      FROM pg_extension e WHERE e.extname = 'auditlog'
    UNION ALL
    -- every member, by its description
    SELECT 'member ' || pg_describe_object(classid, objid, objsubid) FROM members
    UNION ALL
    -- functions and aggregates
    SELECT 'function ' || p.oid::regprocedure::text
           || ' result=' || pg_get_function_result(p.oid)
           || ' args=' || pg_get_function_arguments(p.oid)
           || ' kind=' || p.prokind::text || ' volatile=' || p.provolatile::text || ' parallel=' || p.proparallel::text
           || ' secdef=' || p.prosecdef || ' leakproof=' || p.proleakproof || ' strict=' || p.proisstrict
           || ' cost=' || p.procost || ' rows=' || p.prorows
           || ' lang=' || l.lanname || ' config=' || coalesce(array_to_string(p.proconfig, ';'), '')
           || ' acl=' || coalesce(p.proacl::text, '') || ' bin=' || coalesce(p.probin, '')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
           || ' src=' || replace(p.prosrc, E'\n', '\n')
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      JOIN pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT 'aggregate ' || a.aggfnoid::regprocedure::text || ' sfunc=' || a.aggtransfn::regproc
           || ' combine=' || a.aggcombinefn::regproc || ' sortop=' || a.aggsortop::regoperator::text
           || ' stype=' || format_type(a.aggtranstype, NULL)
      FROM members m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
    UNION ALL
    -- relations: tables, views, sequences, indexes, composite types
    SELECT 'relation ' || c.oid::regclass::text || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
           || ' replident=' || c.relreplident::text || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity
           || ' options=' || coalesce(array_to_string(c.reloptions, ','), '')
           || ' acl=' || coalesce(c.relacl::text, '')
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
           || CASE WHEN c.relkind = 'v' THEN ' view=' || replace(pg_get_viewdef(c.oid), E'\n', '\n') ELSE '' END
           || CASE WHEN c.relkind = 'i' THEN ' index=' || pg_get_indexdef(c.oid) ELSE '' END
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT 'column ' || c.oid::regclass::text || '.' || a.attnum || ' ' || quote_ident(a.attname)
           || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
           || ' collation=' || coalesce(nullif(a.attcollation, 0)::regcollation::text, '')
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
           || ' acl=' || coalesce(a.attacl::text, '')
           || ' comment=' || coalesce(col_description(c.oid, a.attnum), '')
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'policy ' || po.schemaname || '.' || po.tablename || ' ' || po.policyname || ' ' || po.permissive
           || ' ' || array_to_string(po.roles, ',') || ' ' || po.cmd || ' using=' || coalesce(po.qual, '')
           || ' check=' || coalesce(po.with_check, '')
      FROM pg_policies po, ext WHERE po.schemaname = ext.extnamespace::regnamespace::text
    UNION ALL
    SELECT 'sequence ' || s.seqrelid::regclass::text || ' type=' || format_type(s.seqtypid, NULL)
           || ' start=' || s.seqstart || ' inc=' || s.seqincrement || ' min=' || s.seqmin || ' max=' || s.seqmax
           || ' cycle=' || s.seqcycle
      FROM members m JOIN pg_sequence s ON m.classid = 'pg_class'::regclass AND s.seqrelid = m.objid
    UNION ALL
    -- types
    SELECT 'type ' || t.oid::regtype::text || ' type=' || t.typtype::text || ' category=' || t.typcategory::text
           || ' len=' || t.typlen || ' byval=' || t.typbyval || ' align=' || t.typalign::text || ' storage=' || t.typstorage::text
           || ' in=' || t.typinput::text || ' out=' || t.typoutput::text || ' recv=' || t.typreceive::text
           || ' send=' || t.typsend::text || ' acl=' || coalesce(t.typacl::text, '')
           || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '')
      FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    -- operators, operator classes and families, casts
    SELECT 'operator ' || o.oid::regoperator::text || ' code=' || o.oprcode::text
           || ' com=' || o.oprcom::regoperator::text || ' neg=' || o.oprnegate::regoperator::text
           || ' rest=' || o.oprrest::text || ' join=' || o.oprjoin::text
           || ' merges=' || o.oprcanmerge || ' hashes=' || o.oprcanhash
           || ' schema=' || o.oprnamespace::regnamespace
      FROM members m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
    UNION ALL
    SELECT 'opclass ' || oc.opcname || ' am=' || am.amname || ' default=' || oc.opcdefault
           || ' type=' || format_type(oc.opcintype, NULL) || ' family=' || of.opfname
      FROM members m JOIN pg_opclass oc ON m.classid = 'pg_opclass'::regclass AND oc.oid = m.objid
      JOIN pg_am am ON am.oid = oc.opcmethod JOIN pg_opfamily of ON of.oid = oc.opcfamily
    UNION ALL
    SELECT 'amop ' || of.opfname || ' ' || ao.amopstrategy || ' ' || ao.amopopr::regoperator::text
      FROM members m JOIN pg_opfamily of ON m.classid = 'pg_opfamily'::regclass AND of.oid = m.objid
      JOIN pg_amop ao ON ao.amopfamily = of.oid
    UNION ALL
    SELECT 'amproc ' || of.opfname || ' ' || ap.amprocnum || ' ' || ap.amproc::regprocedure::text
      FROM members m JOIN pg_opfamily of ON m.classid = 'pg_opfamily'::regclass AND of.oid = m.objid
      JOIN pg_amproc ap ON ap.amprocfamily = of.oid
    UNION ALL
    SELECT 'cast ' || format_type(ca.castsource, NULL) || ' -> ' || format_type(ca.casttarget, NULL)
           || ' context=' || ca.castcontext::text || ' method=' || ca.castmethod::text
      FROM members m JOIN pg_cast ca ON m.classid = 'pg_cast'::regclass AND ca.oid = m.objid
    UNION ALL
    -- event triggers
    SELECT 'event trigger ' || et.evtname || ' on=' || et.evtevent || ' fn=' || et.evtfoid::regproc
           || ' enabled=' || et.evtenabled::text || ' tags=' || coalesce(array_to_string(et.evttags, ','), '')
      FROM members m JOIN pg_event_trigger et ON m.classid = 'pg_event_trigger'::regclass AND et.oid = m.objid
    UNION ALL
    -- the schema
    SELECT 'schema ' || n.nspname || ' acl=' || coalesce(n.nspacl::text, '')
           || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '')
      FROM ext JOIN pg_namespace n ON n.oid = ext.extnamespace
)
SELECT l FROM lines AS x(l) ORDER BY l COLLATE "C";
