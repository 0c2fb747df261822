"""Merlin Standard and contract-compliance flags (DOMAIN.md section 7)."""
