@broken_before_feature
Feature: A feature whose set-up breaks

  Scenario: a scenario of a feature whose before_feature hook breaks
    Given a step that passes
