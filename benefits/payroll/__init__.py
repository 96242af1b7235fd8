"""The monthly payroll and the bank (按月发放, §9.3.1): the payroll run (``runs``), the
bank files and bank results (``bank``), and the payees' bank accounts
(``payee_accounts``), with their pages (``views``, ``urls``)."""
