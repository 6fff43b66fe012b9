using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common;
using Wrapper.Application.Completion;

namespace Wrapper.UnitTests.Application.Completion;

public sealed class GetCompletionValidatorTests
{
    private static ValidationResult Validate(string? query, int maxMessageLength = 50) =>
        new GetCompletionValidator(Options.Create(new ChatOptions { MaxMessageLength = maxMessageLength })).Validate(new GetCompletion(query));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("What is the capital of France?")]
    [TestCase("multi\nline\tquery\r\n")]
    [TestCase("Ça va? 😀 你好")]
    public void AcceptsAbsentOrOrdinaryQueries(string? query)
    {
        Assert.That(Validate(query).IsValid, Is.True);
    }

    [TestCase(" ")]
    [TestCase("\t\n ")]
    public void RejectsABlankQuery(string query)
    {
        var result = Validate(query);

        Assert.That(result.Errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "query" }));
        Assert.That(result.Errors[0].ErrorMessage, Does.Contain("must not be blank"));
    }

    [Test]
    public void AcceptsAQueryOfExactlyTheMaximumLength()
    {
        Assert.That(Validate(new string('a', 50)).IsValid, Is.True);
    }

    [Test]
    public void RejectsAQueryLongerThanTheMaximumLength()
    {
        var result = Validate(new string('a', 51));

        Assert.That(result.Errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "query" }));
        Assert.That(result.Errors[0].ErrorMessage, Is.EqualTo("'query' must be at most 50 characters."));
    }

    [TestCase("null\0byte")]
    [TestCase("escape\u001b")]
    public void RejectsControlCharacters(string query)
    {
        var result = Validate(query);

        Assert.That(result.Errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "query" }));
        Assert.That(result.Errors[0].ErrorMessage, Does.Contain("control characters"));
    }

    [Test]
    public void RejectsALoneSurrogate()
    {
        var result = Validate("lone " + '\uD800' + " surrogate");

        Assert.That(result.Errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "query" }));
        Assert.That(result.Errors[0].ErrorMessage, Does.Contain("control characters"));
    }
}
