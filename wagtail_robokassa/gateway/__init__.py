"""ROBOKASSA's web services, as the shop calls them: the status interface (``status``), the
Refund API (``refunds``) and RoboFiscal (``fiscal``), each over the one transport
(``transport``). Invoices, recurring charges, holds and payment methods go here too.

Every module is a client of one service: it builds the request with the pure protocol core
(``wagtail_robokassa.protocol``), sends it through the transport and turns the answer, or the
failure, into a typed result or a typed error whose ``str()`` is a sentence for the merchant.
"""
