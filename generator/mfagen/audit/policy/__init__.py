"""Evaluating IAM policy: its grammar, AWS's evaluation logic, condition operators,
string matching, AWS managed policies, and the pool that asks only the policies that
can take part in a request.
"""
