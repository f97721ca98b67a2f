"""plansignal: verified planning master data from ERP and MRP extracts."""
