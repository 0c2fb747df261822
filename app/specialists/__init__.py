"""Specialists and distance travelled (DOMAIN.md section 12): specialist referrals in scope,
their usage and fees, and progress assessments' distance travelled."""
