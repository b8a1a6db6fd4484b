
ÂÊ Ô•šï:*0
Build-1BuildBuild containers *
InProgress