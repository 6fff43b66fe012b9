using FluentValidation.Results;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.UnitTests.Application.Common;

public sealed class ValidationExceptionTests
{
    [Test]
    public void Errors_AreGroupedByPropertyName()
    {
        var ex = new ValidationException(
        [
            new ValidationFailure("messages[0].role", "'role' is required."),
            new ValidationFailure("messages[1].content", "'content' must not be empty."),
            new ValidationFailure("messages[1].content", "'content' must be at most 10 characters."),
        ]);

        Assert.That(ex.Errors, Has.Count.EqualTo(2));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Errors["messages[0].role"], Is.EqualTo(new[] { "'role' is required." }));
            Assert.That(ex.Errors["messages[1].content"],
                Is.EqualTo(new[] { "'content' must not be empty.", "'content' must be at most 10 characters." }));
        }
    }

    [Test]
    public void Errors_DropRepeatedMessagesForTheSameProperty()
    {
        var ex = new ValidationException(
        [
            new ValidationFailure("query", "too long"),
            new ValidationFailure("query", "too long"),
        ]);

        Assert.That(ex.Errors["query"], Is.EqualTo(new[] { "too long" }));
    }

    [Test]
    public void Message_IsGenericAndDoesNotEchoTheFailures()
    {
        var ex = new ValidationException([new ValidationFailure("query", "secret-looking input")]);

        Assert.That(ex.Message, Is.EqualTo("One or more validation errors occurred."));
    }

    [Test]
    public void NoFailures_GiveAnEmptyErrorDictionary()
    {
        Assert.That(new ValidationException([]).Errors, Is.Empty);
    }
}
