import dagster as dg

# One video = one partition, keyed "<channel>--<topic-slug>" (see shortsmith.topics.partition_key).
videos_partitions = dg.DynamicPartitionsDefinition(name="videos")

# One reference (a URL, s3:// object or local file to transcribe or cut clips from) = one partition,
# keyed "references--<slug>-<hash>" (see shortsmith.intake.references.reference_key).
references_partitions = dg.DynamicPartitionsDefinition(name="references")
