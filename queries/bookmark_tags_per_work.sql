-- title: Bookmark tags per work
-- description: The tags readers gave each work when bookmarking it (works crawled with --with bookmarks), most used first; tags differing only in case count as one.
select
    b.work,
    w.title,
    t.tag,
    count(*) as bookmarks
from bookmark_tags t
join bookmarks b on b.id = t.bookmark
join works w on w.id = b.work
group by b.work, t.tag collate nocase
order by b.work, bookmarks desc, t.tag collate nocase
