using System.Net;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests;

public sealed class CompletionTests : EmbeddedApiTests
{
    [Test]
    public async Task ShouldAnswerQueryWithContentModelFinishReasonAndUsage()
    {
        using var response = await Client.GetAsync("/completion?query=What%20is%20the%20capital%20of%20France%3F");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.ContentType()?.MediaType, Is.EqualTo("application/json"));
        var body = await response.ReadJsonAsync();
        var usage = body.GetProperty("usage");
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("content").GetString(), Does.Contain("What is the capital of France?"));
            Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(body.GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
            Assert.That(usage.GetProperty("prompt_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(usage.GetProperty("completion_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(usage.GetProperty("total_tokens").GetInt32(),
                Is.EqualTo(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32()));
        });
    }

    [TestCase("/completion")]
    [TestCase("/completion?query=")]
    public async Task ShouldAskHowAreYouWhenNoQueryIsGiven(string url)
    {
        using var response = await Client.GetAsync(url);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var body = await response.ReadJsonAsync();
        // The simulator quotes the question it was asked.
        Assert.That(body.GetProperty("content").GetString(), Does.Contain("\"how are you?\""));
    }

    [Test]
    public async Task ShouldRejectBlankQuery()
    {
        using var response = await Client.GetAsync("/completion?query=%20%20");

        await response.AssertValidationProblemAsync("query");
    }

    [Test]
    public async Task ShouldRejectQueryWithControlCharacters()
    {
        using var response = await Client.GetAsync("/completion?query=hello%00world");

        await response.AssertValidationProblemAsync("query");
    }

    [Test]
    public async Task ShouldRejectQueryLongerThanTheLimit()
    {
        using var response = await Client.GetAsync("/completion?query=" + new string('a', 32_001));

        var problem = await response.AssertValidationProblemAsync("query");
        Assert.That(problem.GetProperty("errors").GetProperty("query")[0].GetString(), Does.Contain("32000"));
    }
}
