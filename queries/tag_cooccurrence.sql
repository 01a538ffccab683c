-- title: Tag co-occurrence
-- description: The tags most often found on the same works as :tag (any tag type, case-insensitive), with how many works share both.
select
    t2.name as tag,
    t2.type as type,
    count(distinct a.work) as works
from tags t1
join work_tags a on a.tag = t1.id
join work_tags b on b.work = a.work and b.tag != a.tag
join tags t2 on t2.id = b.tag
where t1.name = :tag collate nocase
group by t2.id
order by works desc, tag
limit 50
