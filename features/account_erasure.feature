@allure.label.epic:Privacy @needs.chat_socket
Feature: A customer erases their account
  A customer can erase their account (GDPR Article 17). Once it is gone, it
  is gone from every store: the account, its chats, its sessions and tokens,
  its sign-in identities and its exports. Their open chat closes and their
  tokens stop working at once, and their email address is free again.
  Nobody else's data is touched.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @blocker @allure.label.story:Reauthentication
  Scenario: Erasing an account needs the customer's password
    Given Alice has signed up and logged in
    When she asks to erase her account without giving her password
    Then the erasure is refused until she proves it is her
    And her account is still there

  @critical @allure.label.story:Reauthentication
  Scenario: A customer with no password of ours can erase her account right after signing in
    Given Alice has signed in through the identity provider
    When she erases her account, having just signed in, without a password
    Then nothing of her account is left in the platform's database

  @critical @allure.label.story:Reauthentication
  Scenario: A customer with no password of ours cannot erase her account once her sign-in is no longer recent
    Given Alice has signed in through the identity provider
    When she asks to erase her account without a password, once her sign-in is no longer recent
    Then the erasure is refused until she proves it is her
    And her account is still there

  @critical @allure.label.story:Every_store
  Scenario: An erased account leaves nothing behind in any store
    Given Alice is in a chat with the agent
    And she has asked the agent "What is 12 * 7?"
    And she has an export of her data ready to download
    When she erases her account with her password
    Then nothing of her account is left in the platform's database
    And her export file is gone from the export store

  @blocker @allure.label.story:Sessions
  Scenario: After erasure the customer's chat closes and her tokens stop working at once
    Given Alice is in a chat with the agent
    When she erases her account with her password
    Then the platform closes her chat within 2 seconds, saying the session ended
    And her access token no longer opens the API

  @normal @allure.label.story:Every_store
  Scenario: The email of an erased account can be registered again
    Given Alice has signed up and logged in
    And she has erased her account with her password
    When Bob signs up with Alice's email address
    Then his signup succeeds

  @critical @allure.label.story:Other_customers
  Scenario: Erasing one account leaves another customer's data untouched
    Given Bob is in a chat with the agent
    And he has asked the agent "What is 6 * 7?"
    And Alice is in a chat with the agent
    When Alice erases her account with her password
    Then Bob's question and the agent's answer are still in the platform's database
    And Bob's access token still opens the API, and his next question is answered on the same chat
