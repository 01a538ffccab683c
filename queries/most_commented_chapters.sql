-- title: Most-commented chapters
-- description: Chapters with the most visible comments (replies included) and the threads started on them, from works crawled with --with comments; a one-chapter work's comments count for its chapter 1.
select
    c.work,
    w.title,
    coalesce(ch.number, case when c.chapter is null and w.chapters_posted = 1 then 1 end) as chapter,
    count(*) as comments,
    count(distinct c.thread) as threads,
    'https://archiveofourown.org/works/' || c.work
        || coalesce('/chapters/' || c.chapter, '') as ao3_url
from comments c
join works w on w.id = c.work
left join chapters ch on ch.id = c.chapter and ch.vanished_at is null
where c.state = 'visible'
group by c.work, c.chapter
order by comments desc, c.work, chapter
limit 100
