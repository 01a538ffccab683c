-- title: Full-text search
-- description: Works matching q, best first (bm25 over titles, creators, summaries, notes, tags and chapter text, as ficindex search ranks them), with a snippet. q is words, each required; Chinese, Japanese or Korean text is matched as it is written, anywhere. FTS5 operators need ficindex search.
with query as materialized (
    select
        case when q.cjk or q.text in ('', '*') then null
            else '"' || replace(replace(q.text, '"', '""'), ' ', '" "') || '"' end as works_q,
        case when q.cjk or q.text in ('', '*') then null
            else '"' || replace(replace(q.text, '"', '""'), ' ', '" "') || '"' end as chapters_q,
        case when not q.cjk then null
            when length(q.text) >= 3 then '"' || replace(q.text, '"', '""') || '"'
            else coalesce((select group_concat('"' || replace(term, '"', '""') || '"', ' OR ')
                from works_cjk_vocab where term >= q.text and term < q.text || char(1114111)), '""')
            end as works_cjk_q,
        case when not q.cjk then null
            when length(q.text) >= 3 then '"' || replace(q.text, '"', '""') || '"'
            else coalesce((select group_concat('"' || replace(term, '"', '""') || '"', ' OR ')
                from chapters_cjk_vocab where term >= q.text and term < q.text || char(1114111)), '""')
            end as chapters_cjk_q,
        case when q.cjk then q.text end as cjk_word
    from (
        select trim(replace(:q, '  ', ' ')) as text,
            trim(:q) glob '*[ᄀ-ᇿ々-〇぀-ヿ㄰-㆏ㇰ-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]*' as cjk
    ) q
),  -- end of query
work_hits as not materialized (
    select rowid as work, bm25(works_fts) as score from works_fts
    where works_fts match (select coalesce(works_q, '""') from query)
        and 1  -- work filters
),
chapter_scores as not materialized (
    select chapters_fts.rowid as chapter, c.work as work, bm25(chapters_fts) as score
    from chapters_fts join chapters c on c.id = chapters_fts.rowid
    where chapters_fts match (select coalesce(chapters_q, '""') from query)
        and c.vanished_at is null
        and 1  -- chapter filters
),
cjk_work_hits as not materialized (
    select rowid as work, bm25(works_cjk) as score from works_cjk
    where works_cjk match (select coalesce(works_cjk_q, '""') from query)
),
cjk_chapter_scores as not materialized (
    select chapters_cjk.rowid as chapter, c.work as work, bm25(chapters_cjk) as score
    from chapters_cjk join chapters c on c.id = chapters_cjk.rowid
    where chapters_cjk match (select coalesce(chapters_cjk_q, '""') from query)
        and c.vanished_at is null
),
parts as (
    select (works_q is not null or chapters_q is not null)
        + (works_cjk_q is not null or chapters_cjk_q is not null) as needed
    from query
),
-- A work's score: its bm25 in the works index plus that of its best chapter, for the
-- words and for the CJK words; kind 1-4 says which of the four a row is. One pass, and
-- the HAVING reuses the SELECT's aggregates (each aggregate is a step per row).
matched as not materialized (  -- a co-routine: its rows are sorted once, by ranked
    select work,
        coalesce(sum(case when kind = 1 then score end), 0)
            + coalesce(min(case when kind = 2 then score end), 0)
            + (coalesce(sum(case when kind = 3 then score end), 0)  -- cjk
                + coalesce(min(case when kind = 4 then score end), 0))  -- cjk
            as score,
        max(case when kind = 2 then chapter end) as chapter,
        max(case when kind = 4 then chapter end) as cjk_chapter
    from (
        select work, score, null as chapter, 1 as kind from work_hits
        union all select work, score, chapter, 2 from chapter_scores
        union all select work, score, null, 3 from cjk_work_hits  -- cjk
        union all select work, score, chapter, 4 from cjk_chapter_scores  -- cjk
    )
    group by work
    -- words and CJK words: a work must match both (without CJK words every group matches)
    having (sum(case when kind = 1 then score end) is not null  -- cjk
            or min(case when kind = 2 then score end) is not null)  -- cjk
        + (sum(case when kind = 3 then score end) is not null  -- cjk
            or min(case when kind = 4 then score end) is not null)  -- cjk
        = (select needed from parts)  -- cjk
),
ranked as (
    select m.work as id, m.score as score, m.chapter as chapter, m.cjk_chapter as cjk_chapter
    from matched m left join works w on w.id = m.work  -- dropped when no filter or sort reads it
    where 1  -- filters
    order by score, id  -- sort
    limit 100  -- limit
),
-- No query: the works themselves, in the sort's order (an index walk, not a sort of all);
-- with a query, a LIMIT of 0, which SQLite answers without reading works.
listed as (
    select w.id as id, null as score, null as chapter, null as cjk_chapter
    from works w
    where 1  -- listing filters
    order by id  -- listing sort
    limit (select case when needed = 0 then 100 else 0 end from parts)  -- listing limit
),
shown as materialized (
    select * from ranked
    union all select * from listed  -- listing
),
-- Snippets of the shown chapters. Each snippet query of its own costs a full-text lookup, and
-- so does each full-text cursor opened. When 6 or more rows are shown and few chapters match
-- (fewer than 50 per row shown, and under 1,000), one pass over the matches takes the snippets
-- of those shown (snippets is read only then); otherwise each shown chapter is looked up.
few as (
    select case when n < 6 then 0 else (select count(*) from (select 1 from chapters_fts
            where chapters_fts match (select coalesce(chapters_q, '""') from query) limit 1000))
        < min(50 * n, 1000) end as few
    from (select count(*) as n from shown)
),
snippets as materialized (
    select chapters_fts.rowid as chapter, snippet(chapters_fts, 4, '[', ']', '…', 16) as snippet
    from chapters_fts
    where chapters_fts match (select coalesce(chapters_q, '""') from query)
        and +chapters_fts.rowid in (select chapter from shown)
),
texts as materialized (
    select w.id as id, w.title as title, w.authors as authors, w.fandoms as fandoms,
        w.rating as rating, w.words as words, w.kudos as kudos, w.hits as hits,
        w.updated as updated, w.completed as completed, r.score as score,
        r.chapter as chapter, r.cjk_chapter as cjk_chapter,
        case when (select few from few)
            then (select s.snippet from snippets s where s.chapter = r.chapter)
            else (select snippet(chapters_fts, 4, '[', ']', '…', 16) from chapters_fts
                where chapters_fts match (select coalesce(chapters_q, '""') from query)
                    and rowid = r.chapter) end as chapter_snippet,
        case when (select cjk_word from query) is not null then coalesce(  -- cjk text
            (select c.text || ' ' || coalesce(c.title, '') || ' ' || coalesce(c.summary, '')
                || ' ' || coalesce(c.notes, '') || ' ' || coalesce(c.end_notes, '')
                from chapters c where c.id = r.cjk_chapter),
            (select w.title || ' ' || w.authors || ' ' || coalesce(w.summary, '') || ' '
                || coalesce(w.notes, '') || ' ' || coalesce(w.end_notes, '') || ' '
                || w.fandoms || ' ' || w.relationships || ' ' || w.characters || ' '
                || w.freeforms
                from works w where w.id = r.id)
        ) end as cjk_text
    from shown r join works w on w.id = r.id
),
found as materialized (
    select
        (select cjk_word from query) as word,  -- cjk
        instr(t.cjk_text, (select cjk_word from query)) as at,  -- cjk
        t.*
    from texts t
)
select id, title, authors, fandoms, rating, words, kudos, hits, updated, completed, score,
    coalesce(
        case when instr(chapter_snippet, '[') > 0 then chapter_snippet end,
        case when at > 0 then  -- cjk
            case when at > 25 then '…' else '' end  -- cjk
            || substr(cjk_text, max(1, at - 24), min(at - 1, 24))  -- cjk
            || '[' || word || ']'  -- cjk
            || substr(cjk_text, at + length(word), 40)  -- cjk
            || case when length(cjk_text) >= at + length(word) + 40 then '…' else '' end  -- cjk
        end,  -- cjk
        (select snippet(works_fts, -1, '[', ']', '…', 16) from works_fts
            where works_fts match (select coalesce(works_q, '""') from query)
                and rowid = found.id)
    ) as snippet,
    'https://archiveofourown.org/works/' || id as url
from found
order by score, id  -- sort
