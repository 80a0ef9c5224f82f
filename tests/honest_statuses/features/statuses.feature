Feature: Every outcome has a true status

  Scenario: passes
    Given a step that passes

  Scenario: an assertion fails
    Given a step whose assertion fails

  Scenario: an unexpected exception
    Given a step that raises an unexpected exception

  Scenario: an undefined step
    Given a step that nobody wrote

  Scenario: a pending step
    Given a step that is still pending

  @broken_before_scenario
  Scenario: the before_scenario hook breaks
    Given a step that passes

  @broken_after_scenario
  Scenario: the after_scenario hook breaks
    Given a step that passes

  Scenario: a secret in a failure message
    Given a step that fails showing a token
