@allure.label.epic:Accounts @needs.chat_socket
Feature: A session's tokens are short-lived, rotate, and end with the session
  After logging in, the app holds a short-lived access token for the API and a
  refresh token to get new ones. A session lasts as long as the customer uses
  it, and ends at once when they log out, change their password or when
  someone replays a stolen refresh token.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Token_lifetime
  Scenario: Every token is short-lived, verifiable by the published key, and never cached
    Given Alice has signed up and logged in
    When she refreshes her session
    Then every token answer she got is marked never to be cached
    And her access tokens are the platform's own for its API, expire within 15 minutes and verify against the platform's published keys

  @critical @allure.label.story:Token_lifetime
  Scenario: Every access token names its account, its session, its app and itself
    Given Alice has signed up and logged in
    When she refreshes her session
    Then each of her access tokens names her account, her one session, the app it was issued to, and an id of its own

  @critical @allure.label.story:Refresh
  Scenario: A refresh hands out a new pair and uses up the old refresh token
    Given Alice has signed up and logged in
    When she refreshes her session
    Then she holds a new access token and a new refresh token
    And her old refresh token is refused

  @critical @allure.label.story:Refresh
  Scenario: A refresh token the platform never issued is refused
    Given Alice has signed up and logged in
    When Mallory refreshes with a refresh token the platform never issued
    Then the refresh is refused as invalid_grant, in the problem and in the OAuth error member

  @blocker @allure.label.story:Refresh
  Scenario: A replayed refresh token ends the whole session
    Given Alice has signed up and logged in
    And she has refreshed her session
    When Mallory replays Alice's used refresh token
    Then the replay is refused
    And Alice's newest refresh token is refused too
    And Alice's access token no longer opens the API

  @blocker @allure.label.story:Refresh
  Scenario: A replayed refresh token closes the session's chat within 2 seconds
    Given Alice is in a chat with the agent
    And she has refreshed her session
    When Mallory replays Alice's used refresh token
    Then the platform closes Alice's chat within 2 seconds, saying the session ended

  @critical @allure.label.story:Expiry
  Scenario: An expired access token is refused as expired, and refreshing keeps the session
    Given Alice has signed up and logged in with the short-lived client
    When her access token has expired
    Then the API refuses it, saying that it expired
    And after refreshing her session she can use the API again

  @normal @allure.label.story:Expiry
  Scenario: A refresh token left unused past its idle lifetime is refused
    Given Alice has signed up and logged in with the short-lived client
    When her refresh token has gone unused past its idle lifetime
    Then refreshing her session is refused

  @normal @allure.label.story:Expiry
  Scenario: A session in use outlives its refresh token's idle lifetime, but not its absolute lifetime
    Given Alice has signed up and logged in with the short-lived client
    When she keeps refreshing her session, each time before her refresh token idles out
    Then her session went on past her first refresh token's idle lifetime
    And her refreshing was refused once the session reached its absolute lifetime, and not before

  @blocker @allure.label.story:Logout
  Scenario: Logging out closes the session's chat within 2 seconds and ends its refreshes
    Given Alice is in a chat with the agent
    When she logs out
    Then the platform closes her chat within 2 seconds, saying the session ended
    And her refresh token is refused

  @blocker @allure.label.story:Password_change
  Scenario: Changing the password signs out every other session
    Given Alice has signed up and logged in
    And she is also logged in on her laptop
    When she changes her password
    Then her laptop's session is over: its access token and refresh token are refused
    And her own session goes on: its access token opens the API and its refresh token still refreshes

  @blocker @allure.label.story:Password_change
  Scenario: Changing the password closes the chats of every other session within 2 seconds
    Given Alice has signed up and logged in
    And she is in a chat with the agent on her laptop
    When she changes her password
    Then the platform closes her laptop's chat within 2 seconds, saying the session ended

  @blocker @allure.label.story:Password_change
  Scenario: A password change with a wrong current password is refused and leaves her password as it was
    Given Alice has signed up and logged in
    When she tries to change her password, giving a wrong current password
    Then the change is refused as "wrong-password"
    And she can still log in with her password

  @blocker @allure.label.story:Refused_tokens
  Scenario Outline: <token> opens neither the API nor the chat
    Given Alice has signed up and logged in
    When Mallory presents <token>
    Then the API and the chat handshake both refuse it as unauthorized

    Examples:
      | token                                         |
      | Alice's refresh token as an access token      |
      | Alice's access token after she logged out     |
      | Alice's access token after she erased her account |
      | Alice's access token re-signed with alg none  |

  @blocker @allure.label.story:Refused_tokens @sibling_apis
  Scenario Outline: A token made by another API of the same issuer, <difference>, opens neither the API nor the chat
    Given Alice has signed up and logged in
    When Mallory presents Alice's access token from another API of the same issuer, <difference>
    Then the API and the chat handshake both refuse it as unauthorized

    Examples:
      | difference                           |
      | meant for that API's audience        |
      | made under another issuer name       |
      | of another type than an access token |
