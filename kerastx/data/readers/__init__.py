"""One reader per dataset layout (CoNLL token files, SQuAD JSON, parallel text, BBC summary folders, text corpora,
gettext catalogs): a file layout in, a checked ``datasets.Dataset`` out, errors naming the file and line."""
