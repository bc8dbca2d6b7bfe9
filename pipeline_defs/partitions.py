import dagster as dg

# One video = one partition, keyed "<channel>--<topic-slug>" (see shortsmith.topics.partition_key).
videos_partitions = dg.DynamicPartitionsDefinition(name="videos")
