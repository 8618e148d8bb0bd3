"""FGS/E-ARK information packages (informationspaket): build, read and validate.

``schemas`` finds the installed official schemas, ``reader`` reads a package in place
(folder, zip or tar), ``validate`` checks it against CSIP/SIP 2.1.0 (FGS Paketstruktur 2.0).
"""
