"""GDPR: a data subject's access export (indsigt), closing cases and pseudonymisation."""
