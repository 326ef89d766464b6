"""The AWS Labs data-processing server (PyPI `awslabs.aws-dataprocessing-mcp-server`, run with
`--allow-write`), which serves two roles under the adapter name `awslabs_dataprocessing`.

    glue.py     the Glue role: jobs, runs and connections through its `manage_aws_glue_*` tools
    s3.py       the S3 role: text uploads only (`upload_to_s3`); says what else it cannot do
    answers.py  what its answers mean (the JSON block, or an error code for a failure text)
"""
