-- The membership plan a `plan` event admits (compared with the plan claim of the viewer's login); NULL: any plan.
ALTER TABLE events ADD COLUMN plan TEXT;
