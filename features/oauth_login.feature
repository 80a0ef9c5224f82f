@allure.label.epic:Accounts @needs.chat_socket
Feature: A customer signs in through an identity provider as herself, and only herself
  A customer can sign in with the account they already have at an identity
  provider, without a password of ours. The platform is the provider's client:
  it sends the browser there with a one-time request, checks what comes back,
  and only then signs the customer in.

  The rules: the same identity always finds the same account, even when its
  email changes at the provider. A verified email joins the password account
  that has it. An unverified email never takes over an existing account. A
  login that was cancelled, tampered with or replayed signs nobody in and
  changes no account, and a login's answer works only in the browser that
  started the login. The platform's own tokens never travel in a URL.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:First_login
  Scenario: A first sign-in through the identity provider creates an account
    When Alice signs in through the identity provider for the first time
    Then the platform asked the provider with a PKCE S256 challenge, a state and a nonce
    And she is signed in to a new account with the email the provider gave
    And her account is linked to her identity at the provider

  @critical @allure.label.story:Returning_login
  Scenario: The same identity finds the same account, even after its email changed at the provider
    Given Alice has signed in through the identity provider
    When she signs in through the identity provider again, now with another email there
    Then she is signed in to the same account as before

  @critical @allure.label.story:Account_linking
  Scenario: A verified email joins the password account that has it
    Given Alice has signed up
    When she signs in through the identity provider with that email, verified by the provider
    Then she is signed in to the account she signed up with

  @blocker @allure.label.story:Account_linking
  Scenario: An unverified email never takes over an existing account
    Given Alice has signed up
    When Mallory signs in through the identity provider with Alice's email, unverified by the provider
    Then her sign-in is refused as "unverified-email", and nobody is signed in
    And Alice's account has no identity linked to it

  @normal @allure.label.story:Failures
  Scenario: A customer who cancels at the provider is not signed in
    When Alice starts to sign in through the identity provider and cancels there
    Then her sign-in is refused as "login-cancelled", and nobody is signed in
    And no account exists for her

  @blocker @allure.label.story:Tampering
  Scenario: An answer whose state was tampered with signs nobody in
    When Alice signs in through the identity provider, but the state in the provider's answer is changed
    Then her sign-in is refused as "state-mismatch", and nobody is signed in
    And no account exists for her

  @blocker @allure.label.story:Tampering
  Scenario: An ID token issued for another nonce signs nobody in
    When Alice signs in through the identity provider, but the nonce in the platform's request is changed
    Then her sign-in is refused as "nonce-mismatch", and nobody is signed in
    And no account exists for her

  @critical @allure.label.story:Tampering
  Scenario: The sign-in attempt's cookie is out of scripts' reach, sent only to sign-in, and lives 5 minutes at most
    When Alice starts to sign in through the identity provider
    Then the platform gave her browser a cookie for the sign-in that scripts cannot read, sent only to sign-in, lasting 5 minutes at most

  @blocker @allure.label.story:Tampering
  Scenario: A code stolen from another browser's login signs nobody in
    Given Alice has started to sign in through the identity provider, and the provider has answered her browser
    When Mallory brings that answer, code and state, to the platform in her own browser
    Then her sign-in is refused as "login-attempt-unknown", and nobody is signed in

  @blocker @allure.label.story:Token_delivery
  Scenario: The platform's tokens reach the app without ever appearing in a URL
    When Alice signs in through the identity provider for the first time
    Then no address her browser was sent to carries a token
    And the app gets her tokens for the one-time login code, which works only once

  @normal @allure.label.story:Token_delivery
  Scenario: A login code the app does not trade in time is refused
    Given Alice has signed in at the identity provider, and her browser has reached the app with a login code
    When the login code's lifetime passes before her app trades it
    Then her app's trade of the login code is refused, and it gets no tokens
