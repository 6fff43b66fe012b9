using FluentValidation;
using FluentValidation.Results;
using Moq;
using Wrapper.Application.Common.Behaviours;
using Wrapper.Application.Completion;
using Wrapper.Domain.Chat;
using ValidationException = Wrapper.Application.Common.Exceptions.ValidationException;

namespace Wrapper.UnitTests.Application.Common;

public sealed class ValidationBehaviourTests
{
    private static readonly ChatCompletion Answer = new("fine", "gpt-4o", "stop", new TokenUsage(1, 1));

    private static Mock<IValidator<GetCompletion>> ValidatorReturning(params ValidationFailure[] failures)
    {
        var validator = new Mock<IValidator<GetCompletion>>();
        validator
            .Setup(v => v.ValidateAsync(It.IsAny<IValidationContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new ValidationResult(failures));
        return validator;
    }

    [Test]
    public async Task WithoutValidators_CallsTheHandler()
    {
        var behaviour = new ValidationBehaviour<GetCompletion, ChatCompletion>([]);
        var calls = 0;

        var response = await behaviour.Handle(new GetCompletion("hi"), CancellationToken.None, () => { calls++; return Task.FromResult(Answer); });

        Assert.That(response, Is.SameAs(Answer));
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public async Task WhenEveryValidatorPasses_CallsTheHandlerOnce()
    {
        var first = ValidatorReturning();
        var second = ValidatorReturning();
        var behaviour = new ValidationBehaviour<GetCompletion, ChatCompletion>([first.Object, second.Object]);
        var calls = 0;

        var response = await behaviour.Handle(new GetCompletion("hi"), CancellationToken.None, () => { calls++; return Task.FromResult(Answer); });

        Assert.That(response, Is.SameAs(Answer));
        Assert.That(calls, Is.EqualTo(1));
        first.Verify(v => v.ValidateAsync(It.IsAny<IValidationContext>(), It.IsAny<CancellationToken>()), Times.Once);
        second.Verify(v => v.ValidateAsync(It.IsAny<IValidationContext>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public void WhenAValidatorFails_ThrowsAndNeverCallsTheHandler()
    {
        var behaviour = new ValidationBehaviour<GetCompletion, ChatCompletion>([ValidatorReturning(new ValidationFailure("query", "bad")).Object]);
        var calls = 0;

        var ex = Assert.ThrowsAsync<ValidationException>(() =>
            behaviour.Handle(new GetCompletion("hi"), CancellationToken.None, () => { calls++; return Task.FromResult(Answer); }));

        Assert.That(calls, Is.Zero);
        Assert.That(ex!.Errors["query"], Is.EqualTo(new[] { "bad" }));
    }

    [Test]
    public void FailuresOfAllValidators_AreReportedTogether()
    {
        var behaviour = new ValidationBehaviour<GetCompletion, ChatCompletion>(
        [
            ValidatorReturning(new ValidationFailure("query", "too long")).Object,
            ValidatorReturning(new ValidationFailure("query", "has control characters"), new ValidationFailure("other", "wrong")).Object,
        ]);

        var ex = Assert.ThrowsAsync<ValidationException>(() =>
            behaviour.Handle(new GetCompletion("hi"), CancellationToken.None, () => Task.FromResult(Answer)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Errors["query"], Is.EqualTo(new[] { "too long", "has control characters" }));
            Assert.That(ex.Errors["other"], Is.EqualTo(new[] { "wrong" }));
        }
    }

    [Test]
    public async Task Validators_SeeTheRequestAndTheCallersCancellationToken()
    {
        var request = new GetCompletion("hi");
        using var cts = new CancellationTokenSource();
        var validator = ValidatorReturning();
        var behaviour = new ValidationBehaviour<GetCompletion, ChatCompletion>([validator.Object]);

        await behaviour.Handle(request, cts.Token, () => Task.FromResult(Answer));

        validator.Verify(v => v.ValidateAsync(
            It.Is<IValidationContext>(c => ReferenceEquals(c.InstanceToValidate, request)), cts.Token), Times.Once);
    }
}
