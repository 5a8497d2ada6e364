"""How people appear in what anyone may read: by role, and a department account by its
department's name; never an account id, a name, a phone or where a resident stood. An account
id in public output would let anyone link every issue or report one person made."""


def actor_sql(account_id: str) -> str:
    """SQL for the public JSON of the account whose id is the SQL expression `account_id`."""
    return (
        "(SELECT json_strip_nulls(json_build_object('role', pa.role, 'department', pd.name))"
        " FROM account pa LEFT JOIN department pd ON pd.id = pa.department_id"
        f" WHERE pa.id = {account_id})"
    )
