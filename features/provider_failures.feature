@allure.label.epic:Accounts @misbehaving_providers @needs.chat_socket
Feature: A misbehaving identity provider signs nobody in
  The platform trusts an identity provider only as far as it can check it. What
  the provider answers is checked before anyone is signed in: the ID token must
  be signed by a key the provider published, name the provider as its issuer,
  be meant for the platform and still be valid. A provider that refuses its own
  code, or does not answer at all, signs nobody in either, and the customer is
  told which provider failed.

  These journeys sign in through providers of the embedded stack that each spoil
  one thing on purpose, so they run on the embedded stack only.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @blocker @allure.label.story:Forged_ID_token
  Scenario Outline: An ID token <flaw> signs nobody in
    When Alice signs in through an identity provider whose ID token <flaw>
    Then her sign-in is refused as "invalid-id-token", and nobody is signed in
    And no account exists for her

    Examples:
      | flaw                                             |
      | is signed by a key the provider never published  |
      | names another issuer than the provider           |
      | was issued for another client than the platform |
      | has expired                                      |

  @critical @allure.label.story:Provider_failures
  Scenario: A code the provider refuses to redeem signs nobody in
    When Alice signs in through an identity provider that refuses to redeem its own code
    Then her sign-in is refused as "code-rejected", and nobody is signed in
    And no account exists for her

  @critical @allure.label.story:Provider_failures
  Scenario: A provider that does not answer is named in the refusal, which says when to try again
    When Alice starts to sign in through an identity provider that does not answer
    Then the platform answers that this identity provider is unavailable, and when to try again
