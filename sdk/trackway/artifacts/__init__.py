"""Artifact transfers over the presigned API: multipart uploads, ranged downloads, listing."""
