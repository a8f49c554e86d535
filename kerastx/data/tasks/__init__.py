"""What one task makes of read rows: QA windows over a context, word tags aligned to sub-tokens, the sentences an
extractive summary keeps."""
