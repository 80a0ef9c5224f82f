@allure.label.epic:Privacy @needs.chat_socket
Feature: A customer takes their data with them
  A customer can ask for everything the platform holds about them (GDPR
  Articles 15 and 20) and gets it as a machine-readable file. The export is
  built in the background and downloaded through a link that expires.

  The rules: the export holds exactly what the platform stores for the
  customer, the chat they just had included, and nothing of anyone else's.
  Only the owner can see it or download it; anyone else is told it does not
  exist. Nothing caches it on the way.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Export_contents
  Scenario: An export holds exactly what the platform stores for the customer, and nothing of anyone else's
    Given Alice is in a chat with the agent
    And she has asked the agent "What would 1M tokens a day cost per month?"
    And Bob is in a chat with the agent
    And he has asked the agent "What is 6 * 7?"
    When Alice asks for an export of her data and downloads it once it is ready
    Then her export holds nothing of Bob's
    And her export holds exactly her profile, identities, threads and messages as the platform's database stores them, under a manifest naming her, and none of her secrets

  @blocker @allure.label.story:Export_access
  Scenario: Only the owner can see an export
    Given Alice has asked for an export of her data
    When Mallory asks for the status of Alice's export with an account of her own
    Then Mallory is told that the export does not exist

  @blocker @allure.label.story:Export_access
  Scenario: Only the owner can download an export, even with its link
    Given Alice has an export of her data ready to download
    When Mallory downloads it through Alice's link with an account of her own
    Then Mallory is told that the export does not exist

  @critical @allure.label.story:Export_access
  Scenario: A download link stops working once it expires
    Given Alice has an export of her data ready to download
    When her download link has expired
    Then downloading through it is refused as expired

  @normal @allure.label.story:Export_access
  Scenario: An export is never cached on its way to the customer
    Given Alice has an export of her data ready to download
    When she downloads it
    Then the download is marked never to be cached

  @normal @allure.label.story:Export_access
  Scenario: An export downloads as a file, not as a page
    Given Alice has an export of her data ready to download
    When she downloads it
    Then the download is a JSON file to save, not a page to display

  @critical @allure.label.story:Export_access
  Scenario: Each look at a ready export gives a fresh link, and retires the one before
    Given Alice has an export of her data ready to download
    When she looks at her export again
    Then she gets a new download link that works, and the one before is refused

  @normal @breaks_storage @allure.label.story:Failures
  Scenario: An export that cannot be written is reported as failed, and the next one works once storage is back
    Given Alice has signed up and logged in
    And the platform's export store cannot be written
    When she asks for an export of her data
    Then her export is reported as failed, saying why, with no download link
    And once the export store works again, her next export is ready
