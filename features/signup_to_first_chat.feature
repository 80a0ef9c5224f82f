@allure.label.epic:Onboarding
Feature: First chat after signup
  A new customer should be able to create an account, log in and get a useful
  answer from the agent within seconds, and see the agent working while it does.
  What they asked and what the agent answered is kept in their chat history.

  Accounts are protected: an email address belongs to one account, passwords
  must be strong, and a failed login never tells a stranger whether an account exists.

  @critical @allure.label.story:First_answer
  Scenario: A new customer sees the agent work through their first question
    Given Alice has signed up and logged in
    And she has opened a chat with the agent
    When she asks the agent "What would 1M tokens a day cost per month?"
    Then she sees the agent start, think, use a tool and finish, in that order
    And she receives an answer

  @critical @allure.label.story:Chat_history
  Scenario: The first question and its answer are kept in the chat history
    Given Alice has signed up and logged in
    And she has opened a chat with the agent
    When she asks the agent "What would 1M tokens a day cost per month?"
    Then her question and the agent's answer are in her chat history
    And her question and the agent's answer are stored in the platform's database

  @normal @allure.label.story:Signup
  Scenario: An email address can be registered only once
    Given Alice has signed up
    When Bob tries to sign up with Alice's email address
    Then his signup is refused because the email address is already registered

  @normal @allure.label.story:Signup
  Scenario Outline: A weak password such as "<password>" is refused with a reason the customer can act on
    When Alice tries to sign up with the password "<password>"
    Then her signup is refused because the password <reason>

    Examples:
      | password     | reason                               |
      | short1!      | must be at least 12 characters long  |
      | password1234 | is too common                        |

  @critical @allure.label.story:Login
  Scenario: A failed login does not reveal whether the account exists
    Given Alice has signed up
    When Mallory tries to log in as Alice with a wrong password
    And Mallory tries to log in with an email address nobody has registered
    Then both logins are refused with the same answer
