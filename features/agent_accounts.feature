@allure.label.epic:Agent_chat @needs.accounts
Feature: Only the account holder runs the agent in her conversations
  Whichever protocol carries the agent's runs, a run is the customer's own: only
  her credentials start one, only she can run the agent in her conversations, her
  questions and answers are kept for her, and her plan limits how often she asks.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @blocker @allure.label.story:Access
  Scenario Outline: A run asked for with <credentials> is refused, and no run starts
    Given Alice has signed up and logged in
    When Mallory asks the agent a question with <credentials>
    Then she is refused as unauthorized, and no run starts

    Examples:
      | credentials                                        |
      | no credentials                                     |
      | a garbage access token                             |
      | Alice's access token re-signed with alg none       |
      | Alice's access token re-signed by a stranger's key |
      | an access token of Alice that has expired          |

  @blocker @needs.history @allure.label.story:Access
  Scenario: A customer cannot run the agent in another customer's conversation
    Given Alice is talking to the agent
    And she has asked a plain question
    And Mallory is talking to the agent
    When Mallory asks a plain question in Alice's conversation
    Then she is refused, told there is no such conversation, and nothing reaches Alice's history

  @critical @needs.history @allure.label.story:Conversations
  Scenario: Her question and the agent's answer are kept in her conversation's history
    Given Alice is talking to the agent
    When she asks a question the agent answers with a tool
    Then her question and the agent's answer are kept in her conversation's history

  @critical @needs.plans @allure.label.story:Limits
  Scenario: A question over her plan's limit is refused with when to retry, and no run starts
    Given Alice is talking to the agent
    When she asks more plain questions than her plan allows
    Then the question over the limit is refused with the seconds to wait before retrying, and no run starts

  @blocker @allure.label.story:Access
  Scenario: After she logs out, her old access token starts no run
    Given Alice is talking to the agent
    And she has logged out
    When she asks a plain question
    Then she is refused as unauthorized, and no run starts
