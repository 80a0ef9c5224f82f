@allure.label.epic:Onboarding @needs.chat_socket
Feature: A new customer gets a useful answer within seconds of signing up
  A new customer should be able to create an account, log in and get a right
  answer from the agent within seconds, and see the agent working while it does.
  What they asked and what the agent answered is kept in their chat history.

  Accounts are protected: an email address belongs to one account, passwords
  must be strong, and a failed login never tells a stranger whether an account
  exists, neither by what it answers nor by how long it takes.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:First_answer
  Scenario: A new customer sees the agent work through their first question
    Given Alice has signed up and logged in
    And she has opened a chat with the agent
    When she asks the agent "What would 1M tokens a day cost per month?"
    Then within 2 seconds she sees exactly these events, in this order:
      | event           |
      | agent_started   |
      | agent_thinking  |
      | tool_executing  |
      | tool_completed  |
      | agent_completed |
    And the answer says it costs about "$75.00" a month at "$2.50" per million tokens

  @critical @allure.label.story:Chat_history
  Scenario: The first question and its answer are kept in the chat history
    Given Alice has signed up and logged in
    And she has opened a chat with the agent
    When she asks the agent "What would 1M tokens a day cost per month?"
    Then her question and the agent's answer are in her chat history
    And her question and the agent's answer are stored in the platform's database
    And the answer she was streamed names the message it is stored as

  @normal @allure.label.story:Signup
  Scenario: An email address can be registered only once
    Given Alice has signed up
    When Bob tries to sign up with Alice's email address
    Then his signup is refused because the email address is already registered

  @normal @allure.label.story:Signup
  Scenario: An email address in other letter case is the same address
    Given Alice has signed up
    When Bob tries to sign up with Alice's email address in capitals
    Then his signup is refused because the email address is already registered

  @critical @allure.label.story:Login
  Scenario: A customer logs in with her email address in any letter case
    Given Alice has signed up
    When she logs in with her email address in capitals
    Then she is logged in to her own account

  @normal @allure.label.story:Signup
  Scenario Outline: A weak password such as "<password>" is refused with a reason the customer can act on
    When Alice tries to sign up with the password "<password>"
    Then her signup is refused because the password <reason>

    Examples:
      | password     | reason                               |
      | short1!      | must be at least 12 characters long  |
      | password1234 | is too common                        |

  @critical @allure.label.story:Login @serial
  Scenario: A failed login does not reveal whether the account exists
    Given Alice has signed up
    When Mallory tries 3 times each to log in as Alice with a wrong password and with an email nobody has registered
    Then every refusal has the same status, body and headers
    And neither kind of refusal comes back in less than half the time of the other
