"""diariekit: records management and archiving for Swedish public bodies.

Registration (diarieföring), document-management plans (dokumenthanteringsplaner),
secrecy (sekretess under OSL), retention and disposal (bevarande och gallring) and
transfer to an e-archive as FGS packages (leverans).
"""

__version__ = "0.1.0"
