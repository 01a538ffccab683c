-- title: Relationship popularity over time
-- description: For each year of first publication, how many works tag each relationship and the kudos they drew.
select
    substr(w.published, 1, 4) as year,
    t.name as relationship,
    count(*) as works,
    sum(w.kudos) as kudos
from works w
join work_tags wt on wt.work = w.id
join tags t on t.id = wt.tag and t.type = 'relationship'
where w.published is not null
group by year, t.id
order by year, works desc, relationship
